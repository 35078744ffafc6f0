import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { XoMock } from '../../src/index.js'
import { ADMIN_TOKEN, HOST, VM_HALTED, VM_WEB1, VM_WEB2, buildObjects, get, startMock } from './helpers.js'

let mock: XoMock

beforeAll(async () => {
  mock = await startMock()
})
afterAll(async () => {
  await mock.close()
})

const href = (id: string) => `/rest/v0/vms/${id}`
const ALL_VMS = [href(VM_HALTED), href(VM_WEB1), href(VM_WEB2)]

describe('collection without fields', () => {
  it('returns the pretty-printed array of hrefs', async () => {
    const reply = await get(mock, '/rest/v0/vms')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.text).toBe(`[\n  "${href(VM_HALTED)}",\n  "${href(VM_WEB1)}",\n  "${href(VM_WEB2)}"\n]`)
  })

  it('builds hrefs from the request path without its trailing slash', async () => {
    expect((await get(mock, '/rest/v0/vms/')).json()).toEqual(ALL_VMS)
    // routing is case-insensitive and XO keeps the request's path as written
    expect((await get(mock, '/rest/v0/VMs')).json()).toEqual(ALL_VMS.map((h) => h.replace('/vms/', '/VMs/')))
  })

  it('lists only the objects of the collection type', async () => {
    expect((await get(mock, '/rest/v0/hosts')).json()).toEqual([`/rest/v0/hosts/${HOST}`])
    const templates = (await get(mock, '/rest/v0/vm-templates')).json() as string[]
    expect(templates).toHaveLength(1)
    expect(templates[0]).toMatch(/^\/rest\/v0\/vm-templates\/b7569d99-.*-f873abe0-/)
    for (const name of ['vm-snapshots', 'vm-controllers', 'pools', 'srs', 'vdis', 'vdi-snapshots', 'vbds', 'vifs', 'networks', 'pifs', 'pbds', 'pcis', 'pgpus', 'sms']) {
      const list = (await get(mock, `/rest/v0/${name}`)).json() as string[]
      expect(list.length, name).toBeGreaterThan(0)
      for (const item of list) expect(item.startsWith(`/rest/v0/${name}/`)).toBe(true)
    }
  })

  it('returns [] for an empty collection', async () => {
    const empty = await startMock(buildObjects().filter((object) => object.type !== 'remote' && object.type !== 'VM'))
    try {
      const reply = await get(empty, '/rest/v0/backup-repositories')
      expect(reply.status).toBe(200)
      expect(reply.text).toBe('[]')
      expect((await get(empty, '/rest/v0/vms')).text).toBe('[]')
      expect((await get(empty, '/rest/v0/vms?fields=name_label')).text).toBe('[]')
    } finally {
      await empty.close()
    }
  })
})

describe('fields', () => {
  it('picks the fields, href last, byte-exact pretty JSON', async () => {
    const reply = await get(mock, '/rest/v0/vms?fields=power_state,name_label&limit=2')
    expect(reply.text).toBe(
      '[\n  {\n    "power_state": "Halted",\n    "name_label": "MRA XOA",\n' +
        `    "href": "${href(VM_HALTED)}"\n  },\n  {\n    "power_state": "Running",\n    "name_label": "web-1",\n    "href": "${href(VM_WEB1)}"\n  }\n]`,
    )
  })

  it('leaves missing fields absent (never null)', async () => {
    expect((await get(mock, '/rest/v0/vms?fields=name_label,no_such_field&limit=1')).json()).toEqual([{ name_label: 'MRA XOA', href: href(VM_HALTED) }])
  })

  it('supports dotted paths', async () => {
    expect((await get(mock, '/rest/v0/vms?fields=CPUs.number,name_label&filter=name_label:web')).json()).toEqual([
      { CPUs: { number: 2 }, name_label: 'web-1', href: href(VM_WEB1) },
      { CPUs: { number: 4 }, name_label: 'web-2', href: href(VM_WEB2) },
    ])
    // two paths under the same key merge; array indices build arrays
    expect((await get(mock, `/rest/v0/vms?fields=CPUs.max,CPUs.number,tags[0]&filter=id:${VM_WEB1}`)).json()).toEqual([
      { CPUs: { max: 4, number: 2 }, tags: ['prod'], href: href(VM_WEB1) },
    ])
    expect((await get(mock, `/rest/v0/vms?fields=CPUs.nope,name_label.length&filter=id:${VM_WEB1}`)).json()).toEqual([
      { name_label: { length: 5 }, href: href(VM_WEB1) },
    ])
  })

  it('returns full objects plus href with fields=*', async () => {
    const [vm] = (await get(mock, '/rest/v0/vms?fields=*&limit=1')).json() as Record<string, unknown>[]
    const stored = mock.inventory.get(VM_HALTED)!
    expect(vm).toEqual({ ...stored, href: href(VM_HALTED) })
    expect(vm!._xapiRef).toBe(stored._xapiRef)
    expect(Object.keys(vm!).at(-1)).toBe('href')
  })

  it('returns only the href for an empty fields', async () => {
    expect((await get(mock, '/rest/v0/vms?fields=')).json()).toEqual(ALL_VMS.map((h) => ({ href: h })))
  })

  it('rejects a repeated fields parameter with 422', async () => {
    const reply = await get(mock, '/rest/v0/vms?fields=a&fields=b')
    expect(reply.status).toBe(422)
    expect(reply.json()).toEqual({ error: { fields: { message: 'invalid string value', value: ['a', 'b'] } }, data: {} })
  })
})

describe('limit', () => {
  const count = async (query: string) => ((await get(mock, `/rest/v0/vms?${query}`)).json() as unknown[]).length

  it('limits after filtering', async () => {
    expect(await count('limit=1')).toBe(1)
    expect(await count('limit=2')).toBe(2)
    expect(await count('limit=10')).toBe(3)
    expect((await get(mock, '/rest/v0/vms?filter=power_state:Running&limit=1')).json()).toEqual([href(VM_WEB1)])
  })

  it('returns [] for limit=0', async () => {
    const reply = await get(mock, '/rest/v0/vms?limit=0')
    expect(reply.status).toBe(200)
    expect(reply.text).toBe('[]')
  })

  it('ignores negative and fractional limits (the counter never reaches 0)', async () => {
    expect(await count('limit=-1')).toBe(3)
    expect(await count('limit=1.5')).toBe(3)
    expect(await count('limit=0.5')).toBe(3)
  })

  it('parses floats like tsoa', async () => {
    expect(await count('limit=1e0')).toBe(1)
    expect(await count('limit=2.')).toBe(2)
    for (const value of ['abc', '', 'Infinity', '1x']) {
      const reply = await get(mock, `/rest/v0/vms?limit=${value}`)
      expect(reply.status, value).toBe(422)
      expect(reply.json()).toEqual({ error: { limit: { message: 'invalid float number', value } }, data: {} })
    }
  })
})

describe('filter', () => {
  const ids = async (filter: string) =>
    ((await get(mock, `/rest/v0/vms?filter=${encodeURIComponent(filter)}`)).json() as string[]).map((h) => h.slice('/rest/v0/vms/'.length))

  it('applies the complex-matcher to the full object before projection', async () => {
    expect(await ids('power_state:Running')).toEqual([VM_WEB1, VM_WEB2])
    expect(await ids('power_state:running')).toEqual([VM_WEB1, VM_WEB2])
    expect(await ids('!power_state:Running')).toEqual([VM_HALTED])
    expect(await ids('tags:prod')).toEqual([VM_WEB1])
    expect(await ids('CPUs:number:>2')).toEqual([VM_WEB2])
    expect(await ids('name_label:/^web-\\d$/')).toEqual([VM_WEB1, VM_WEB2])
    expect(await ids('|(name_label:web-2 name_label:MRA)')).toEqual([VM_HALTED, VM_WEB2])
    // the filtered field need not be projected
    expect((await get(mock, '/rest/v0/vms?fields=name_label&filter=tags:prod')).json()).toEqual([{ name_label: 'web-1', href: href(VM_WEB1) }])
  })

  it('matches everything with an empty filter', async () => {
    expect(await ids('')).toEqual([VM_HALTED, VM_WEB1, VM_WEB2])
  })

  it('decodes + as a space like Express', async () => {
    expect(((await get(mock, '/rest/v0/vms?filter=power_state:Running+tags:prod')).json() as string[])).toEqual([href(VM_WEB1)])
  })

  it('answers 400 with stringToParse on a syntax error', async () => {
    const reply = await get(mock, '/rest/v0/vms?filter=power_state:')
    expect(reply.status).toBe(400)
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.text).toBe('{\n  "error": "parse error: expected end of input at position 11",\n  "data": {\n    "stringToParse": "power_state:"\n  }\n}')
    // the same bad filter again (served from the compiled-filter cache)
    expect((await get(mock, '/rest/v0/vms?filter=power_state:')).status).toBe(400)
  })
})

describe('ndjson', () => {
  it('streams one compact item per line, each line terminated', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=true')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('application/x-ndjson')
    expect(reply.text).toBe(ALL_VMS.map((h) => JSON.stringify(h) + '\n').join(''))
  })

  it('streams projected objects', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=true&fields=name_label,power_state&filter=power_state:Running')
    expect(reply.text).toBe(
      `{"name_label":"web-1","power_state":"Running","href":"${href(VM_WEB1)}"}\n` +
        `{"name_label":"web-2","power_state":"Running","href":"${href(VM_WEB2)}"}\n`,
    )
  })

  it('accepts the bare ?ndjson flag (mock extension) and any case of true', async () => {
    for (const query of ['ndjson', 'ndjson=', 'ndjson=TRUE', 'ndjson=True']) {
      const reply = await get(mock, `/rest/v0/vms?${query}`)
      expect(reply.headers['content-type'], query).toBe('application/x-ndjson')
      expect(reply.text.split('\n')).toHaveLength(4)
    }
  })

  it('answers JSON with ndjson=false', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=false')
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.json()).toEqual(ALL_VMS)
  })

  it('sends an empty body for an empty result', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=true&filter=name_label:nothing-matches')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('application/x-ndjson')
    expect(reply.text).toBe('')
  })

  it('rejects invalid booleans with the tsoa 422 shape', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=yes')
    expect(reply.status).toBe(422)
    expect(reply.text).toBe('{\n  "error": {\n    "ndjson": {\n      "message": "invalid boolean value",\n      "value": "yes"\n    }\n  },\n  "data": {}\n}')
    expect((await get(mock, '/rest/v0/vms?markdown=1')).json()).toEqual({ error: { markdown: { message: 'invalid boolean value', value: '1' } }, data: {} })
  })

  it('collects every invalid parameter in one 422', async () => {
    expect((await get(mock, '/rest/v0/vms?limit=x&markdown=no&ndjson=yes')).json()).toEqual({
      error: {
        ndjson: { message: 'invalid boolean value', value: 'yes' },
        markdown: { message: 'invalid boolean value', value: 'no' },
        limit: { message: 'invalid float number', value: 'x' },
      },
      data: {},
    })
  })
})

describe('markdown', () => {
  it('renders a table from the first item keys minus href', async () => {
    const reply = await get(mock, '/rest/v0/vms?markdown=true&fields=name_label,tags,name_description,CPUs')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('text/markdown; charset=utf-8')
    const lines = reply.text.split('\n')
    expect(lines[0]).toBe('| name_label | tags | name_description | CPUs |')
    expect(lines[1]).toBe('| --- | --- | --- | --- |')
    expect(lines[3]).toBe('| web-1 | ["prod","web"] | first \\| web server | {"max":4,"number":2} |')
    expect(lines).toHaveLength(5)
  })

  it('joins hrefs without fields and says "No results." when empty', async () => {
    expect((await get(mock, '/rest/v0/vms?markdown=true')).text).toBe(ALL_VMS.join('\n'))
    expect((await get(mock, '/rest/v0/vms?markdown=true&limit=0')).text).toBe('No results.')
  })

  it('refuses ndjson and markdown together with 422', async () => {
    const reply = await get(mock, '/rest/v0/vms?ndjson=true&markdown=true')
    expect(reply.status).toBe(422)
    expect(reply.text).toBe('{\n  "error": "Cannot use both ndjson and markdown output formats simultaneously",\n  "data": {}\n}')
    expect((await get(mock, '/rest/v0/vms?ndjson&markdown=TRUE')).status).toBe(422)
    // with false, no conflict
    expect((await get(mock, '/rest/v0/vms?ndjson=false&markdown=true')).headers['content-type']).toBe('text/markdown; charset=utf-8')
  })

  it('checks the filter before the format conflict', async () => {
    expect((await get(mock, '/rest/v0/vms?ndjson=true&markdown=true&filter=(')).status).toBe(400)
  })
})

describe('seed-document curl examples (supertest over HTTP)', () => {
  it('curl -b authenticationToken=TOKEN "…/vms?fields=name_label,power_state&filter=power_state:Running&limit=2"', async () => {
    const response = await request(mock.url)
      .get('/rest/v0/vms?fields=name_label,power_state&filter=power_state:Running&limit=2')
      .set('Cookie', `authenticationToken=${ADMIN_TOKEN}`)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.body).toEqual([
      { name_label: 'web-1', power_state: 'Running', href: href(VM_WEB1) },
      { name_label: 'web-2', power_state: 'Running', href: href(VM_WEB2) },
    ])
  })

  it('curl -b authenticationToken=TOKEN "…/vms?ndjson"', async () => {
    const response = await request(mock.url)
      .get('/rest/v0/vms?ndjson')
      .set('Cookie', `authenticationToken=${ADMIN_TOKEN}`)
      .buffer(true)
      .parse((res, callback) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => callback(null, text))
      })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-ndjson')
    expect((response.body as string).split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown)).toEqual(ALL_VMS)
  })

  it('curl -b authenticationToken=TOKEN "…/vms?ndjson&fields=name_label"', async () => {
    const response = await request(mock.url)
      .get('/rest/v0/vms?ndjson&fields=name_label')
      .set('Cookie', `authenticationToken=${ADMIN_TOKEN}`)
      .buffer(true)
      .parse((res, callback) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => callback(null, text))
      })
    expect(response.body).toBe(
      [VM_HALTED, VM_WEB1, VM_WEB2].map((id) => JSON.stringify({ name_label: mock.inventory.get(id)!.name_label, href: href(id) }) + '\n').join(''),
    )
  })
})

describe('response cache', () => {
  it('serves fresh data after every store change', async () => {
    const url = '/rest/v0/vms?fields=name_label&filter=power_state:Running'
    const before = await get(mock, url)
    expect((await get(mock, url)).text).toBe(before.text)
    mock.inventory.update(VM_WEB2, { name_label: 'renamed' })
    try {
      expect((await get(mock, url)).json()).toEqual([
        { name_label: 'web-1', href: href(VM_WEB1) },
        { name_label: 'renamed', href: href(VM_WEB2) },
      ])
      mock.inventory.update(VM_WEB2, { power_state: 'Halted' })
      expect((await get(mock, url)).json()).toEqual([{ name_label: 'web-1', href: href(VM_WEB1) }])
    } finally {
      mock.inventory.update(VM_WEB2, { name_label: 'web-2', power_state: 'Running' })
    }
    expect((await get(mock, url)).text).toBe(before.text)
  })

  it('answers HEAD like GET without a body', async () => {
    const reply = await get(mock, '/rest/v0/vms', undefined, 'HEAD')
    expect(reply.status).toBe(200)
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(reply.text).toBe('')
  })
})
