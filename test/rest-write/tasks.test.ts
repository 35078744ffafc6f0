import { setImmediate as tick } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { releaseXoTask, setTaskTimingPolicy, settleXoTask, waitingXoTasks } from '../../src/domain/xo-task.js'
import { adminCookie, bobCookie, call, startWriteMock, task, TASK_API, TASK_BOB, VM_HALTED, VM_WEB1, type WriteMock } from './helpers.js'

let mock: WriteMock
beforeEach(async () => {
  mock = await startWriteMock()
})
afterEach(async () => {
  await mock.close()
})

const start = async (vm = VM_HALTED): Promise<string> => (await call(mock, 'POST', `/rest/v0/vms/${vm}/actions/start`)).json().taskId

describe('GET /tasks/{id}?wait=true', () => {
  it('blocks until the task is no longer pending', async () => {
    setTaskTimingPolicy(mock.context, 'vms/start', { mode: 'manual' })
    const taskId = await start()
    expect(waitingXoTasks(mock.context)).toEqual([taskId])
    let done = false
    const waiting = call(mock, 'GET', `/rest/v0/tasks/${taskId}?wait=true`).then((reply) => {
      done = true
      return reply
    })
    for (let i = 0; i < 5; i++) await tick()
    expect(done).toBe(false)
    expect((await call(mock, 'GET', `/rest/v0/tasks/${taskId}`)).json().status).toBe('pending')
    expect(releaseXoTask(mock.context, taskId)).toBe(true)
    const reply = await waiting
    expect(reply.status).toBe(200)
    expect(reply.json()).toMatchObject({ id: taskId, status: 'success' })
    expect((mock.inventory.get(VM_HALTED) as Record<string, unknown>).power_state).toBe('Running')
  })

  it('answers at once for finished tasks; wait must be a boolean', async () => {
    expect((await call(mock, 'GET', `/rest/v0/tasks/${TASK_API}?wait=true`)).json().status).toBe('failure')
    expect((await call(mock, 'GET', `/rest/v0/tasks/${TASK_API}?wait=false`)).status).toBe(200)
    const legacy = await call(mock, 'GET', `/rest/v0/tasks/${TASK_API}?wait=result`)
    expect(legacy.status).toBe(422)
    expect(legacy.json()).toEqual({ error: { wait: { message: 'invalid boolean value', value: 'result' } }, data: {} })
    expect((await call(mock, 'GET', '/rest/v0/tasks/nope?wait=true')).status).toBe(404)
  })

  it('a sync action waits for a delayed task on the context clock', async () => {
    setTaskTimingPolicy(mock.context, 'start', { mode: 'delay', delayMs: 5000 })
    let done = false
    const reply = call(mock, 'POST', `/rest/v0/vms/${VM_HALTED}/actions/start?sync=true`).then((r) => {
      done = true
      return r
    })
    for (let i = 0; i < 5; i++) await tick()
    expect(done).toBe(false)
    mock.clock.advance(4999)
    await tick()
    expect(done).toBe(false)
    mock.clock.advance(1)
    expect((await reply).status).toBe(204)
  })
})

describe('timing policies', () => {
  it('delay and jitter keep the task pending on the clock, then run the operation', async () => {
    setTaskTimingPolicy(mock.context, '*', { mode: 'jitter', delayMs: 100, maxDelayMs: 200 })
    const taskId = await start()
    const pending = task(mock, taskId)
    expect(pending).toMatchObject({ status: 'pending', start: mock.clock.now(), updatedAt: mock.clock.now() })
    expect(pending.end).toBeUndefined()
    mock.clock.advance(99)
    expect(task(mock, taskId).status).toBe('pending')
    mock.clock.advance(101)
    const done = task(mock, taskId)
    expect(done.status).toBe('success')
    expect(done.end).toBeGreaterThanOrEqual(pending.start + 100)
    expect(done.end).toBe(done.updatedAt)
  })

  it('fail: the operation does not run, the task fails with the given error', async () => {
    setTaskTimingPolicy(mock.context, 'vms/start', { mode: 'fail', error: { code: 'SR_BACKEND_FAILURE_47', params: ['', 'The SR is not available', ''] } })
    const taskId = await start()
    expect(task(mock, taskId).result).toMatchObject({ code: 'SR_BACKEND_FAILURE_47', params: ['', 'The SR is not available', ''], name: 'XapiError' })
    expect((mock.inventory.get(VM_HALTED) as Record<string, unknown>).power_state).toBe('Halted')
    setTaskTimingPolicy(mock.context, 'vms/start', undefined)
    expect(task(mock, await start()).status).toBe('success')
  })

  it('manual tasks can be settled without running the operation', async () => {
    setTaskTimingPolicy(mock.context, 'start', { mode: 'manual' })
    const taskId = await start()
    expect(settleXoTask(mock.context, taskId, { error: new Error('no way') })).toBe(true)
    expect(task(mock, taskId)).toMatchObject({ status: 'failure', result: { message: 'no way', name: 'Error' } })
    expect((mock.inventory.get(VM_HALTED) as Record<string, unknown>).power_state).toBe('Halted')
  })
})

describe('DELETE /tasks', () => {
  it('DELETE /tasks/{id}: 204, then 404; another user’s task → 403', async () => {
    const taskId = await start()
    expect((await call(mock, 'DELETE', `/rest/v0/tasks/${taskId}`)).status).toBe(204)
    expect(mock.inventory.has(taskId)).toBe(false)
    expect((await call(mock, 'DELETE', `/rest/v0/tasks/${taskId}`)).status).toBe(404)
    const denied = await call(mock, 'DELETE', `/rest/v0/tasks/${TASK_API}`, undefined, { cookie: bobCookie })
    expect(denied.status).toBe(403)
    expect((await call(mock, 'DELETE', `/rest/v0/tasks/${TASK_BOB}`, undefined, { cookie: bobCookie })).status).toBe(204)
  })

  it('DELETE /tasks removes the finished tasks (a user’s own for non-admins)', async () => {
    setTaskTimingPolicy(mock.context, 'start', { mode: 'manual' })
    const pending = await start()
    expect((await call(mock, 'DELETE', '/rest/v0/tasks', undefined, { cookie: bobCookie })).status).toBe(204)
    expect(mock.inventory.has(TASK_BOB)).toBe(false)
    expect(mock.inventory.has(TASK_API)).toBe(true)
    expect((await call(mock, 'DELETE', '/rest/v0/tasks')).status).toBe(204)
    expect(mock.inventory.has(TASK_API)).toBe(false)
    expect(mock.inventory.has(pending)).toBe(true)
    // XAPI task records are not task logs
    expect(mock.inventory.has('xapi-task')).toBe(true)
    expect((await call(mock, 'GET', '/rest/v0/tasks')).json()).toEqual([`/rest/v0/tasks/${pending}`])
  })
})

/** Reads NDJSON lines of a streaming response until `count` lines arrived. */
async function readLines(response: Response, count: number): Promise<unknown[]> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (text.split('\n').length - 1 < count) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value)
  }
  await reader.cancel()
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
}

describe('GET /tasks?ndjson=true&watch=true', () => {
  it('streams task changes (not the existing tasks), new tasks first as update, removals', async () => {
    const controller = new AbortController()
    const response = await fetch(`${mock.url}/rest/v0/tasks?ndjson=true&watch=true`, { headers: { cookie: adminCookie }, signal: controller.signal })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBeNull()
    const lines = readLines(response, 3)
    await tick()
    const taskId = await start()
    await call(mock, 'DELETE', `/rest/v0/tasks/${taskId}`)
    expect(await lines).toEqual([
      ['update', `/rest/v0/tasks/${taskId}`],
      ['update', `/rest/v0/tasks/${taskId}`],
      ['remove', `/rest/v0/tasks/${taskId}`],
    ])
    controller.abort()
  })

  it('projects fields and applies the filter', async () => {
    const controller = new AbortController()
    const response = await fetch(`${mock.url}/rest/v0/tasks?ndjson=true&watch=true&fields=status,properties&filter=status:success`, {
      headers: { cookie: adminCookie },
      signal: controller.signal,
    })
    const lines = readLines(response, 1)
    await tick()
    const failed = await start(VM_WEB1) // fails: already running
    const okId = await start(VM_HALTED) // pending (filtered out), then success
    const received = await lines
    expect(received).toEqual([['update', { status: 'success', properties: expect.objectContaining({ objectId: VM_HALTED }), href: `/rest/v0/tasks/${okId}` }]])
    expect(JSON.stringify(received)).not.toContain(failed)
    controller.abort()
  })

  it('non-admins only see their own tasks', async () => {
    const controller = new AbortController()
    const response = await fetch(`${mock.url}/rest/v0/tasks?ndjson=true&watch=true`, { headers: { cookie: bobCookie }, signal: controller.signal })
    const lines = readLines(response, 1)
    await tick()
    await start() // admin's
    await call(mock, 'DELETE', `/rest/v0/tasks/${TASK_BOB}`)
    expect(await lines).toEqual([['remove', `/rest/v0/tasks/${TASK_BOB}`]])
    controller.abort()
  })

  it('watch=true without ndjson=true → 400', async () => {
    const reply = await call(mock, 'GET', '/rest/v0/tasks?watch=true')
    expect(reply.status).toBe(400)
    expect(reply.json()).toEqual({ error: 'watch=true requires ndjson=true' })
    expect((await call(mock, 'GET', '/rest/v0/tasks?watch=false')).status).toBe(200)
  })
})

describe('task log retention', () => {
  it('keeps at most 1000 task records, dropping the oldest finished ones', async () => {
    const { createXoTask, succeedXoTask, MAX_TASK_LOGS } = await import('../../src/domain/xo-task.js')
    const first = createXoTask(mock.context, { name: 'first' })
    succeedXoTask(mock.context, first.id)
    while (mock.inventory.count('task') < MAX_TASK_LOGS) succeedXoTask(mock.context, createXoTask(mock.context, { name: 'filler' }).id)
    expect(mock.inventory.has(TASK_API)).toBe(true)
    createXoTask(mock.context, { name: 'one more' })
    expect(mock.inventory.count('task')).toBe(MAX_TASK_LOGS)
    // the oldest finished task log went (the XAPI task record is not a log)
    expect(mock.inventory.has(TASK_API)).toBe(false)
    expect(mock.inventory.has('xapi-task')).toBe(true)
  })
})
