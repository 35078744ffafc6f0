import { Readable } from 'node:stream'

/** Default read-ahead of export streams: about two 2 MiB blocks. */
export const EXPORT_HIGH_WATER_MARK = 4 * 1024 * 1024

/** A stream whose byte length is known up front (raw and VHD exports): use it as Content-Length. */
export type LengthReadable = Readable & { readonly length: number }

export interface ProducerOptions {
  highWaterMark?: number
}

/**
 * Turns a generator of buffers into a byte Readable that
 * - pulls only while the consumer wants data (push() returning false stops the pulling);
 * - on destroy (consumer gone, error, premature close) aborts `signal` and returns the generator, so
 *   no further part is produced: generators check `signal.aborted` after each await.
 *
 * The generator must yield buffers that nobody mutates afterwards (fresh, or immutable shared ones).
 */
export function readableFromGenerator(
  produce: (signal: AbortSignal) => AsyncGenerator<Buffer, void, undefined>,
  options: ProducerOptions = {},
): Readable {
  return new GeneratorReadable(produce, options.highWaterMark ?? EXPORT_HIGH_WATER_MARK)
}

class GeneratorReadable extends Readable {
  readonly #controller = new AbortController()
  readonly #generator: AsyncGenerator<Buffer, void, undefined>
  #pumping = false
  #wanted = false

  constructor(produce: (signal: AbortSignal) => AsyncGenerator<Buffer, void, undefined>, highWaterMark: number) {
    super({ highWaterMark })
    this.#generator = produce(this.#controller.signal)
  }

  override _read(): void {
    this.#wanted = true
    if (!this.#pumping) void this.#pump()
  }

  async #pump(): Promise<void> {
    this.#pumping = true
    try {
      while (this.#wanted) {
        const result = await this.#generator.next()
        if (this.destroyed) return
        if (result.done === true) {
          this.push(null)
          return
        }
        if (result.value.length === 0) continue
        this.#wanted = false
        // A re-entrant _read() during push() sets #wanted again.
        if (this.push(result.value)) this.#wanted = true
      }
    } catch (error) {
      this.destroy(error as Error)
    } finally {
      this.#pumping = false
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#controller.abort()
    // Returns the generator now if it is paused at a yield, else as soon as its pending await settles
    // (it then sees the aborted signal). 'close' is not held back by a slow block read.
    this.#generator.return(undefined).catch(() => {})
    callback(error)
  }
}
