/**
 * REST writes of XO's ACL v2 (RBAC, reference §8/§9), admin-only like their reads:
 * - `POST /acl-roles` → 201 `{"id"}`, `PATCH|DELETE /acl-roles/{id}` → 204,
 *   `PUT|DELETE /acl-roles/{id}/users/{userId}` and `…/groups/{groupId}` → 204 (already there → 409);
 * - `POST /acl-roles/{id}/actions/copy[?sync=true]`: an action (202 `{"taskId"}`, or 201 `{"id"}`);
 * - `POST /acl-privileges` → 201 `{"id"}`, `PATCH|DELETE /acl-privileges/{id}` → 204.
 * Checks in XO's order: admin (403) → path object (404 `no such acl-role <id>`) → body (422, tsoa's
 * shapes) → referenced objects (404) → the operation (template roles: 403 forbidden operation).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MockContext } from '../context.js'
import {
  addGroupToAclRole,
  addUserToAclRole,
  copyAclRole,
  createAclPrivilege,
  createAclRole,
  deleteAclPrivilege,
  deleteAclRole,
  removeGroupFromAclRole,
  removeUserFromAclRole,
  updateAclPrivilege,
  updateAclRole,
} from '../domain/acl-role.js'
import { runTask } from '../domain/xo-task.js'
import type { XoObject } from '../inventory/types.js'
import { jsonBodyScope, requestViewer, sendCreated, validateRequest } from './actions.js'
import { requestUser } from './auth.js'
import { bodyValidator } from './body.js'
import { noSuchObject, notEnoughPermissions } from './errors.js'
import type { RestPlugin } from './index.js'
import type { RestKit } from './routes.js'
import { sendJson } from './serialize.js'

type Request = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>
type Body = Readonly<Record<string, unknown>>

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

/** The store object `id` of `type`, else 404 `no such <xoType> <id>`. */
function target(ctx: MockContext, id: string, type: string, xoType: string): XoObject {
  const object = ctx.store.get(id)
  if (object === undefined || object.type !== type) throw noSuchObject(id, xoType)
  return object
}

const role = (ctx: MockContext, id: string) => target(ctx, id, 'aclRole', 'acl-role')
const privilege = (ctx: MockContext, id: string) => target(ctx, id, 'aclPrivilege', 'acl-privilege')

/** Admin check (403 `not enough permissions`) before anything else. */
function admin(kit: RestKit, request: Request): void {
  if (!requestViewer(kit, request).admin) throw notEnoughPermissions()
}

const privilegeSettings = (body: Body) => ({ resource: str(body.resource), action: str(body.action), effect: str(body.effect), selector: str(body.selector) })

export const aclWriteRoutes: RestPlugin = async (scope, kit) => {
  const { ctx } = kit
  const noContent = (reply: FastifyReply) => reply.code(204).send()
  const validateCreateRole = bodyValidator('POST', '/acl-roles')
  const validatePatchRole = bodyValidator('PATCH', '/acl-roles/{id}')
  const validateCopy = bodyValidator('POST', '/acl-roles/{id}/actions/copy')
  const validateCreatePrivilege = bodyValidator('POST', '/acl-privileges')
  const validatePatchPrivilege = bodyValidator('PATCH', '/acl-privileges/{id}')

  await jsonBodyScope(scope, (child) => {
    // roles
    child.post('/acl-roles', (request: Request, reply) => {
      admin(kit, request)
      const { body } = validateRequest(validateCreateRole, request.body)
      return sendCreated(ctx, reply, createAclRole(ctx, { name: String(body.name), description: str(body.description) }).id)
    })
    child.patch('/acl-roles/:id', (request: Request, reply) => {
      admin(kit, request)
      const object = role(ctx, request.params.id!)
      const { body } = validateRequest(validatePatchRole, request.body)
      updateAclRole(ctx, object.id, { name: str(body.name), description: body.description === null ? null : str(body.description) })
      return noContent(reply)
    })
    child.delete('/acl-roles/:id', (request: Request, reply) => {
      admin(kit, request)
      deleteAclRole(ctx, role(ctx, request.params.id!).id)
      return noContent(reply)
    })
    child.post('/acl-roles/:id/actions/copy', async (request: Request, reply) => {
      admin(kit, request)
      const object = role(ctx, request.params.id!)
      const { body, sync } = validateRequest(validateCopy, request.body, request.query)
      const running = runTask(
        ctx,
        {
          ...(Object.keys(body).length === 0 ? {} : { args: body }),
          objectType: 'acl-role',
          name: 'REST API: copy acl-role',
          objectId: object.id,
          userId: requestUser(request).id,
          type: 'xo:rest-api:action',
        },
        () => copyAclRole(ctx, object.id, { name: str(body.name), description: str(body.description) }).id,
        { action: 'acl-roles/copy', toResult: (id) => ({ id }) },
      )
      const taskUrl = `${ctx.restBase}/tasks/${running.id}`
      if (!sync) return sendJson(reply.code(202).header('location', taskUrl), { taskId: running.id })
      const outcome = await running.done
      if (outcome.status === 'failure') throw outcome.error
      return sendCreated(ctx, reply, String(outcome.result))
    })
    for (const [segment, type, param] of [
      ['users', 'user', 'userId'],
      ['groups', 'group', 'groupId'],
    ] as const) {
      const member = (add: boolean) => (request: Request, reply: FastifyReply) => {
        admin(kit, request)
        const object = role(ctx, request.params.id!)
        const memberId = request.params[param]!
        target(ctx, memberId, type, type)
        if (type === 'user') (add ? addUserToAclRole : removeUserFromAclRole)(ctx, object.id, memberId)
        else (add ? addGroupToAclRole : removeGroupFromAclRole)(ctx, object.id, memberId)
        return noContent(reply)
      }
      child.put(`/acl-roles/:id/${segment}/:${param}`, member(true))
      child.delete(`/acl-roles/:id/${segment}/:${param}`, member(false))
    }

    // privileges
    child.post('/acl-privileges', (request: Request, reply) => {
      admin(kit, request)
      const { body } = validateRequest(validateCreatePrivilege, request.body)
      const roleId = role(ctx, String(body.roleId)).id
      return sendCreated(ctx, reply, createAclPrivilege(ctx, { ...privilegeSettings(body), roleId }).id)
    })
    child.patch('/acl-privileges/:id', (request: Request, reply) => {
      admin(kit, request)
      const object = privilege(ctx, request.params.id!)
      const { body } = validateRequest(validatePatchPrivilege, request.body)
      updateAclPrivilege(ctx, object.id, privilegeSettings(body))
      return noContent(reply)
    })
    child.delete('/acl-privileges/:id', (request: Request, reply) => {
      admin(kit, request)
      deleteAclPrivilege(ctx, privilege(ctx, request.params.id!).id)
      return noContent(reply)
    })
  })
}
