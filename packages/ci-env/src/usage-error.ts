/** Missing or invalid input: the message names the field(s); CLIs map it to exit code 1. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
