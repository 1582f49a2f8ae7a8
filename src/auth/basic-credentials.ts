/** Credentials from an `Authorization: Basic` header or a JSON body. */
export interface Credentials {
  username: string;
  password: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_ENCODED_LENGTH = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses `Basic <base64(user:pass)>` per RFC 7617: the user-id ends at the **first** colon (so a
 * password may contain colons), the text is UTF-8 (§2.1), and the user-id may not be empty.
 * Returns undefined when the header is not a Basic one, and 'malformed' when it is but is unusable.
 */
export function parseBasicAuthorization(header: string): Credentials | 'malformed' | undefined {
  const match = /^basic(?: +(\S*))? *$/i.exec(header);
  if (!match) return undefined;
  const encoded = match[1] ?? '';
  if (encoded.length === 0 || encoded.length > MAX_ENCODED_LENGTH || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    return 'malformed';
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return 'malformed';
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return 'malformed';
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // RFC 7617 §2: control characters are not allowed in the user-id or the password.
  if (/[\x00-\x1f\x7f]/.test(decoded)) return 'malformed';
  return { username, password };
}
