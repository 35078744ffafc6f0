/**
 * NDJSON streaming: items are pulled from a lazy iterable only when the socket wants more
 * (Readable `read()` is backpressure-driven), batched into chunks of a few KiB, and iteration stops
 * as soon as the stream is destroyed (client abort): the whole response is never built in memory.
 */
import { Readable } from 'node:stream'
import { ndjsonLine } from './serialize.js'

const CHUNK_LENGTH = 16 * 1024

export function ndjsonStream(items: Iterable<unknown>): Readable {
  const iterator = items[Symbol.iterator]()
  let done = false
  const finish = () => {
    if (!done) {
      done = true
      iterator.return?.()
    }
  }
  return new Readable({
    read() {
      if (done) return
      let chunk = ''
      try {
        while (chunk.length < CHUNK_LENGTH) {
          const next = iterator.next()
          if (next.done === true) {
            done = true
            if (chunk !== '') this.push(chunk)
            this.push(null)
            return
          }
          chunk += ndjsonLine(next.value)
        }
      } catch (error) {
        finish()
        this.destroy(error as Error)
        return
      }
      this.push(chunk)
    },
    destroy(error, callback) {
      finish()
      callback(error)
    },
  })
}
