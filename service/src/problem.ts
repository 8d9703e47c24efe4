// RFC 9457 problem details: the one error shape of the API.
import type { FieldError, Problem } from './schemas/responses.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error that becomes a problem response; `type` is a stable, documented identifier. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(status: number, type: string, detail: string, options: { errors?: FieldError[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.type = type;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function problemBody(status: number, type: string, detail: string | undefined, instance: string, errors?: FieldError[]): Problem {
  const body: Problem = { type: `urn:problem:${type}`, title: TITLES[status] ?? 'Error', status, instance };
  if (detail) body.detail = detail;
  if (errors?.length) body.errors = errors;
  return body;
}
