/**
 * Requests parsed and validated the way a Django REST Framework service does it, and its error
 * bodies: `{"detail": "..."}` for a message, `{"field": ["..."]}` for field errors.
 */

export type FieldErrors = Record<string, string[]>

/** An answer before it is written: a string body as is, any other defined body as JSON. */
export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** A request as the API sees it, whether it came over HTTP or in-process. */
export interface ApiRequest {
  method: string
  url: URL
  rawBody: string
  contentType: string | undefined
  authorization: string | undefined
  /** The Host header, for the links of paginated lists. */
  host: string | undefined
}

export const NOT_FOUND = 'Not found.'

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}: ${JSON.stringify(reply.body)}`)
  }
}

/**
 * The one error-body helper: `{"detail": "..."}` for a message, DRF field errors, or a bare list
 * (what `raise ValidationError('...')` in a view answers).
 */
export function apiError(
  status: number,
  problem: string | FieldErrors | string[],
  headers?: Record<string, string>
): HttpError {
  return new HttpError({
    status,
    body: typeof problem === 'string' ? { detail: problem } : problem,
    headers
  })
}

/** Django's own 404 page (DEBUG off), for a path no URL pattern matches, outside the API. */
export const DJANGO_NOT_FOUND: Reply = {
  status: 404,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n'
}

export function unauthorized(message: string): HttpError {
  return apiError(401, message, { 'www-authenticate': 'Bearer realm="api"' })
}

export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch (error) {
    throw apiError(400, `JSON parse error - ${(error as Error).message}`)
  }
}

/** The request body as recorded: JSON when it parses, the raw text otherwise. */
export function looseJson(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** A reply's headers and body text: a string body as is, any other defined body as JSON. */
export function serialize(reply: Reply): { headers: Record<string, string>; text: string } {
  if (reply.body === undefined || typeof reply.body === 'string') {
    return { headers: reply.headers ?? {}, text: reply.body ?? '' }
  }
  return {
    headers: { 'content-type': 'application/json', ...reply.headers },
    text: JSON.stringify(reply.body)
  }
}

function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  return Number.isInteger(value) ? 'int' : 'float'
}

/** The request's JSON object, parsed the way DRF's JSONParser and Serializer do. */
export function jsonObject(request: ApiRequest): Record<string, unknown> {
  if (request.rawBody === '') return {}
  const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/json') {
    throw apiError(415, `Unsupported media type "${request.contentType ?? ''}" in request.`)
  }
  const data = parseJson(request.rawBody)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw apiError(400, {
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(data)}.`]
    })
  }
  return data as Record<string, unknown>
}

export function integerField(
  data: Record<string, unknown>,
  field: string,
  errors: FieldErrors
): number | undefined {
  const value = data[field]
  if (value === undefined) errors[field] = ['This field is required.']
  else if (value === null) errors[field] = ['This field may not be null.']
  else if (!Number.isSafeInteger(value)) errors[field] = ['A valid integer is required.']
  else return value as number
  return undefined
}

/** An optional DRF CharField: numbers are accepted as text, whitespace is trimmed. */
export function optionalStringField(
  data: Record<string, unknown>,
  field: string,
  maxLength: number,
  errors: FieldErrors
): string {
  const value = data[field]
  if (value === undefined) return ''
  if (value === null) errors[field] = ['This field may not be null.']
  else if (typeof value !== 'string' && typeof value !== 'number') {
    errors[field] = ['Not a valid string.']
  } else {
    const text = String(value).trim()
    if ([...text].length <= maxLength) return text
    errors[field] = [`Ensure this field has no more than ${maxLength} characters.`]
  }
  return ''
}

/** A django-filter query parameter; empty means no filter. */
export function integerQuery(
  query: URLSearchParams,
  name: string,
  errors: FieldErrors
): number | undefined {
  const value = query.get(name)
  if (!value) return undefined
  if (/^\s*[-+]?\d+\s*$/.test(value)) return Number(value)
  errors[name] = ['Enter a whole number.']
  return undefined
}

export function choiceQuery<T extends string>(
  query: URLSearchParams,
  name: string,
  choices: readonly T[],
  errors: FieldErrors
): T | undefined {
  const value = query.get(name)
  if (!value) return undefined
  if ((choices as readonly string[]).includes(value)) return value as T
  errors[name] = [`Select a valid choice. ${value} is not one of the available choices.`]
  return undefined
}

export function throwIfInvalid(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw apiError(400, errors)
}
