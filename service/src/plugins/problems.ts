// Every error leaves as RFC 9457 application/problem+json: validation errors name each field,
// Fastify's own errors keep their status (413, 415, ...), and a 500 never shows a stack trace.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { toFieldErrors } from '../ingest/validate.ts';
import { HttpProblem, problemBody, PROBLEM_CONTENT_TYPE } from '../problem.ts';
import type { FieldError } from '../schemas/responses.ts';

/** Problem `type`s for the errors Fastify raises itself, by its error codes. */
const FASTIFY_TYPES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'malformed-url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
};

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: { status: number; type: string; detail?: string; errors?: FieldError[]; headers?: Record<string, string> },
) {
  return reply
    .code(problem.status)
    .headers(problem.headers ?? {})
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(problem.status, problem.type, problem.detail, request.url, problem.errors));
}

/** The problem an error becomes; 5xx other than our own become an opaque 500. */
export function problemOf(error: FastifyError | HttpProblem | Error) {
  if (error instanceof HttpProblem) {
    return { status: error.status, type: error.type, detail: error.message, errors: error.errors, headers: error.headers };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const { errors } = toFieldErrors(fastifyError.validation as never);
    const where = fastifyError.validationContext ?? 'body';
    return { status: 400, type: 'validation', detail: `The request ${where} is invalid`, errors };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // SyntaxError from the JSON parser: keep its message, it says where the JSON breaks.
    const type = FASTIFY_TYPES[fastifyError.code] ?? (status === 400 ? 'bad-request' : `http-${status}`);
    return { status, type, detail: fastifyError.message };
  }
  if (status === 503) return { status, type: 'unavailable', detail: 'The service is unavailable; retry later' };
  return { status: 500, type: 'internal', detail: 'An unexpected error occurred; it has been logged' };
}

/** Fastify's `frameworkErrors` option: errors of the router, raised before any route or hook runs. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const problem = problemOf(error);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  sendProblem(request, reply, problem);
}

async function problems(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = problemOf(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, { status: 404, type: 'not-found', detail: `No route for ${request.method} ${request.url.split('?', 1)[0]}` }),
  );
}

export default fp(problems, { name: 'problems', fastify: '5.x' });
