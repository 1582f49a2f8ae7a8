/** Bad usage of the command line (a missing or malformed argument): the command's usage, exit 2. */
export class UsageError extends Error {}

/** A refusal the operator can act on (an unknown user, a pending migration, …): the message, exit 1. */
export class Refused extends Error {}

/** Exit codes of `gatehouse` (docs/cli.md). */
export const ExitCode = { Ok: 0, Refused: 1, Usage: 2 } as const;
