import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { parse, serialize } from 'cookie';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Public } from '../common/decorators/public.decorator';
import { TokenQueryDto } from '../auth/dto/token-query.dto';
import { AuthService } from '../auth/auth.service';
import { clientInfo, moveToCookie } from '../auth/login-response';
import { MfaRequiredException } from '../common/exceptions/auth.exceptions';
import { UserView } from '../users/dto/user.view';
import { OidcLoginQueryDto, OidcLoginView, OidcTokenRequestDto, ProviderView } from './dto/oidc.dto';
import { FederationService } from './federation.service';

const STATE_COOKIE = 'gatehouse_oidc_state';
const STATE_COOKIE_PATH = '/authenticate/oidc';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  query: unknown;
  ip?: string;
  /** Fastify: http or https (honouring TRUST_PROXY). */
  protocol?: string;
}
interface HttpReply {
  header(name: string, value: string): unknown;
  status(code: number): HttpReply;
  redirect(url: string, code?: number): unknown;
}

/**
 * The state cookie: HttpOnly, SameSite=Lax so it comes back on the provider's top-level redirect,
 * and Secure whenever the callback is https (a plain-http development set-up would lose it otherwise).
 */
function stateCookie(value: string, maxAge: number, secure: boolean): string {
  return serialize(STATE_COOKIE, value, { httpOnly: true, secure, sameSite: 'lax', path: STATE_COOKIE_PATH, maxAge });
}

@ApiTags('federation')
@Controller('authenticate/oidc')
export class FederationController {
  constructor(
    private readonly federation: FederationService,
    private readonly authService: AuthService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'The OpenID Connect providers users can log in through' })
  @ApiOkResponse({ type: [ProviderView] })
  providers(): ProviderView[] {
    return this.federation.loginProviders().map((p) => ({ name: p.name, loginUrl: `/authenticate/oidc/${p.name}/login` }));
  }

  @Get(':provider/login')
  @Public()
  @NoStore()
  @ApiOperation({ summary: 'Start a login at the provider (302), with state, nonce and PKCE (S256)' })
  @ApiFoundResponse({ description: 'Redirect to the provider' })
  @ApiBadRequestResponse({ description: 'redirect is not on OIDC_POST_LOGIN_REDIRECTS' })
  async login(
    @Param('provider') provider: string,
    @Query() query: OidcLoginQueryDto,
    @Req() req: HttpRequest,
    @Res() reply: HttpReply,
  ): Promise<void> {
    // Only used when PUBLIC_URL is unset; a malformed Host falls back to localhost.
    const host = req.headers.host;
    const origin =
      req.protocol && typeof host === 'string' && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host)
        ? `${req.protocol}://${host}`
        : undefined;
    const started = await this.federation.start(provider, query.redirect ?? '/', origin);
    reply.header('Set-Cookie', stateCookie(started.state, 600, started.secure));
    reply.redirect(started.url, 302);
  }

  @Get(':provider/callback')
  @Public()
  @NoStore()
  @ApiOperation({
    summary: 'Where the provider returns (not called directly)',
    description:
      'Validates state, nonce, PKCE and the ID token, provisions the user, starts a session (refresh token in the HttpOnly cookie) ' +
      'and redirects to the requested path with #code=<one-time code>.',
  })
  @ApiFoundResponse({ description: 'Redirect to the requested path with #code=<one-time code>; Set-Cookie: the refresh cookie' })
  @ApiUnauthorizedResponse({ description: 'Bad state, replayed code, wrong nonce, refused login, disabled account' })
  async callback(@Param('provider') provider: string, @Req() req: HttpRequest, @Res() reply: HttpReply): Promise<void> {
    const cookies = typeof req.headers.cookie === 'string' ? parse(req.headers.cookie) : {};
    // The state cookie is spent whatever happens next.
    reply.header('Set-Cookie', stateCookie('', 0, false));
    const params = (req.query && typeof req.query === 'object' ? req.query : {}) as Record<string, unknown>;
    const done = await this.federation.finish(provider, params, cookies[STATE_COOKIE]);
    // The session starts here: its refresh token becomes the HttpOnly cookie (as for a password
    // login in cookie mode), so a frontend on this site resumes it with POST /authenticate/refresh.
    let session: Awaited<ReturnType<AuthService['startSession']>>;
    try {
      session = await this.authService.startSession(done.user, {
        method: `oidc:${provider}`,
        amr: done.amr,
        client: clientInfo(req),
        credential: null,
      });
    } catch (error) {
      // MFA_REQUIRED_ROLES names this user and the provider did not report a second factor: the
      // frontend completes the login with POST /authenticate/mfa, as after a password.
      if (!(error instanceof MfaRequiredException)) throw error;
      const { mfa_token: mfaToken, methods } = error.details;
      reply.redirect(`${done.redirect}#mfa_token=${mfaToken}&methods=${methods.join(',')}`, 302);
      return;
    }
    moveToCookie(session.token, reply);
    // For frontends that want the first access token at once: a one-time code for this session. It
    // rides in the fragment, which browsers send neither to servers nor in Referer headers.
    const code = await this.federation.issueCode(provider, done.user.id, session.sessionId);
    reply.redirect(`${done.redirect}#code=${code}`, 302);
  }

  @Post('token')
  @Public()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOperation({
    summary: 'Exchange the one-time code from the callback for the user and an access token of the session it started',
    description: 'The refresh token is the HttpOnly cookie the callback set; takes ?validity_secs like a login.',
  })
  @ApiOkResponse({ type: OidcLoginView })
  @ApiUnauthorizedResponse({ description: 'Unknown, used or expired code' })
  async token(@Body() body: OidcTokenRequestDto, @Query() query: TokenQueryDto): Promise<OidcLoginView> {
    const { user, sessionId } = await this.federation.redeem(body.code);
    return { user: UserView.of(user), token: await this.authService.sessionAccessToken(user.id, sessionId, query.validity_secs) };
  }
}
