import { HttpException } from '@nestjs/common';
import { AppValidationPipe } from '../../common/validation';
import { parseForm } from '../../common/http-surface';
import { readTokenRequest, TokenRequestDto } from './token-request.dto';

/** The outcome of a check: the parameters it returned (a null one is as good as absent), or the status and message it refused with. */
async function outcome(check: () => unknown): Promise<unknown> {
  try {
    return Object.fromEntries(Object.entries((await check()) as object).filter(([, value]) => value !== null && value !== undefined));
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), message: error.message };
  }
}

describe('readTokenRequest', () => {
  const pipe = new AppValidationPipe();
  const viaPipe = (body: unknown) => outcome(() => pipe.transform(body, { type: 'body', metatype: TokenRequestDto }));
  const long = (n: number) => 'h'.repeat(n);

  it.each([
    ['a token', { token: 'abc' }],
    ['every parameter', { token: 'abc', token_type_hint: 'refresh_token', client_id: 'rs' }],
    ['limits reached', { token: 'abc', token_type_hint: long(64), client_id: long(256) }],
    ['null optional parameters', { token: 'abc', token_type_hint: null, client_id: null }],
    ['no body', undefined],
    ['an empty body', {}],
    ['an empty token', { token: '' }],
    ['a null token', { token: null }],
    ['a number', { token: 42 }],
    ['an object', { token: { nested: 'x' } }],
    ['a list', { token: ['a', 'b'] }],
    ['an unknown parameter', { token: 'x', scope: 'not a parameter here' }],
    ['two unknown parameters and no token', { grant_type: 'x', scope: 'y' }],
    ['over-long optional parameters', { token: 'abc', token_type_hint: long(65), client_id: long(257) }],
    // class-validator counts characters, not UTF-16 units: 200 emoji are 400 units and within 256.
    ['characters beyond the BMP', { token: 'abc', client_id: '😀'.repeat(200) }],
    ['too many characters beyond the BMP', { token: 'abc', client_id: '😀'.repeat(257) }],
    ['optional parameters of the wrong type', { token: 'abc', token_type_hint: 7, client_id: true }],
    ['everything wrong', { token: 7, token_type_hint: [], client_id: long(300), extra: 1 }],
    ['a form body', parseForm(`token=abc&token_type_hint=access_token`)],
    ['a form body with an unknown parameter', parseForm(`token=abc&resource=x`)],
  ])('decides as the global ValidationPipe does: %s', async (_case, body) => {
    const expected = await viaPipe(body);
    await expect(outcome(() => readTokenRequest(body))).resolves.toEqual(expected);
  });

  it.each([
    ['a list', ['token']],
    ['a string', 'token=abc'],
    ['a number', 7],
  ])('refuses a body that is not an object of parameters: %s', async (_case, body) => {
    await expect(outcome(() => readTokenRequest(body))).resolves.toMatchObject({ status: 400 });
  });

  it.each(['constructor', 'prototype', 'toString', 'hasOwnProperty'])(
    'refuses the parameter %s, which the pipe would drop without a word',
    async (name) => {
      await expect(outcome(() => readTokenRequest(parseForm(`token=abc&${name}=x`)))).resolves.toEqual({
        status: 400,
        message: `property ${name} should not exist`,
      });
    },
  );

  it('returns only the parameters it knows, as plain strings', () => {
    expect(readTokenRequest(parseForm('token=abc&client_id=rs'))).toEqual({ token: 'abc', client_id: 'rs' });
  });
});
