/** The credentials of `Authorization: Bearer …`, scheme case-insensitive (RFC 7235 §2.1); null for any other header. */
export function extractBearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^bearer +(\S*) *$/i.exec(header);
  return match?.[1] ? match[1] : null;
}
