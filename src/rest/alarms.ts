/**
 * Alarms (reference §2 and §12, `alarms/alarm.service.mts`): messages whose name matches the
 * complex-matcher `name:|(ALARM BOND_STATUS_CHANGED MULTIPATH_PERIODIC_ALERT)` (so a case-insensitive
 * substring match, exactly like XO), re-shaped as
 * `{...message minus $object/body/time, body: {value, name}, object: {type, uuid, href?}, time}`:
 * - `body.value`: the XAPI body's `value:` as a percentage with one decimal (`"60.0"`), or the raw
 *   `NaN`/`Infinity` text; absent when the body is not an alarm body;
 * - `body.name`: the `<name value="…"/>` of the body, else the raw body (bond / multipath messages);
 * - `object`: the object the message is about (`type` `unknown` when it is not in the inventory),
 *   `href` `/rest/v0/<type lowercased>s/<uuid>`;
 * - `time`: milliseconds (messages carry seconds).
 */
import { compileFilter } from '../filter/index.js'
import type { ObjectStore } from '../inventory/store.js'
import type { XoObject } from '../inventory/types.js'

const ALARM_BODY_REGEX = /^value:\s*(Infinity|NaN|-Infinity|\d+(?:\.\d+)?)\s*config:\s*<variable>\s*<name value="(.*?)"/

/** XO's `alarmPredicate`. */
export const isAlarm: (message: unknown) => boolean = compileFilter('name:|(ALARM BOND_STATUS_CHANGED MULTIPATH_PERIODIC_ALERT)')

/** The served alarm of a stored message. */
export function parseAlarm(store: ObjectStore, message: XoObject, restBase: string): Record<string, unknown> {
  const { $object, body, time, ...alarm } = message as XoObject & { $object?: unknown; body?: unknown; time?: unknown }
  const target = typeof $object === 'string' ? store.resolve($object) : undefined
  const object =
    target === undefined
      ? { type: 'unknown', uuid: $object }
      : {
          type: target.type,
          uuid: target.uuid,
          href: `${restBase}/${target.type.toLowerCase()}s/${String(target.uuid)}`,
        }
  const text = typeof body === 'string' ? body : String(body)
  const match = ALARM_BODY_REGEX.exec(text)
  const raw = match?.[1]
  const number = Number(raw)
  return {
    ...alarm,
    body: {
      // a string because NaN and Infinity are not JSON
      value: Number.isFinite(number) ? (number * 100).toFixed(1) : raw,
      name: match?.[2] ?? body,
    },
    object,
    time: typeof time === 'number' ? time * 1000 : Number(time) * 1000,
  }
}
