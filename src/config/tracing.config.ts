import { ConfigError } from './config.error';
import { Env, readEnv } from './env-parsers';

/**
 * OpenTelemetry tracing (docs/operations.md#tracing). Present only when tracing is on: an OTLP
 * endpoint is set and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` turns it off.
 * Only what Gatehouse decides is parsed here; the SDK reads its other standard variables itself
 * (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES), and the
 * sampler variables are checked here but built into a sampler by the SDK.
 */
export interface TracingConfig {
  /** Where spans go (OTLP/HTTP, protobuf): the traces endpoint if set, else the base endpoint (`/v1/traces` is appended by the exporter). */
  endpoint: string;
  /** `service.name` of every span (OTEL_SERVICE_NAME, default `gatehouse`). */
  serviceName: string;
}

/** The values of OTEL_TRACES_SAMPLER the SDK knows (it falls back to the default, silently, on any other). */
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/**
 * Reads the tracing variables. Every variable is read before deciding whether tracing is on, so
 * configVariableNames() lists them all; they are validated only when tracing is on (OTEL_* variables
 * meant for other programs in the same environment do not stop Gatehouse while its tracing is off).
 * Never echoes OTEL_EXPORTER_OTLP_HEADERS, which usually holds an API key (and is left to the SDK).
 */
export function loadTracingConfig(env: Env): TracingConfig | undefined {
  const tracesEndpoint = readEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = readEnv(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const disabled = readEnv(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const exporter = readEnv(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase();
  const serviceName = readEnv(env, 'OTEL_SERVICE_NAME') ?? 'gatehouse';
  const protocols = {
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: readEnv(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
    OTEL_EXPORTER_OTLP_PROTOCOL: readEnv(env, 'OTEL_EXPORTER_OTLP_PROTOCOL'),
  };
  const sampler = readEnv(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase();
  const samplerArg = readEnv(env, 'OTEL_TRACES_SAMPLER_ARG');

  const endpoint = tracesEndpoint ?? baseEndpoint;
  if (endpoint === undefined || disabled || exporter === 'none') return undefined;

  if (exporter !== undefined && exporter !== 'otlp') {
    throw new ConfigError('OTEL_TRACES_EXPORTER', `must be otlp or none (Gatehouse exports OTLP over HTTP only), got "${exporter}"`);
  }
  const endpointName = tracesEndpoint !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  if (!isHttpUrl(endpoint)) {
    throw new ConfigError(endpointName, 'must be an http:// or https:// URL of an OTLP/HTTP receiver, such as http://collector:4318');
  }
  // The specific variable wins over the general one, as in the SDK; only protobuf over HTTP is built in.
  const [protocolName, protocol] = Object.entries(protocols).find(([, value]) => value !== undefined) ?? [];
  if (protocolName !== undefined && protocol !== 'http/protobuf') {
    throw new ConfigError(protocolName, `must be http/protobuf (the only OTLP protocol Gatehouse exports with), got "${protocol}"`);
  }
  if (sampler !== undefined && !SAMPLERS.includes(sampler)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER', `must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
  }
  if (samplerArg !== undefined && sampler?.endsWith('traceidratio')) {
    const ratio = Number(samplerArg);
    if (!/^\d*\.?\d+$/.test(samplerArg) || ratio > 1) {
      throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a ratio between 0 and 1 for ${sampler}, got "${samplerArg}"`);
    }
  }
  return { endpoint, serviceName };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}
