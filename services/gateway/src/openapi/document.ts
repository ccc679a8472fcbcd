/**
 * The gateway's OpenAPI document, built from the routes' decorators and then completed here, in
 * one place, with what every route shares, so a route added anywhere gets it without a decorator
 * of its own:
 * - its security, read from the guards the route really runs (AdminGuard: the admin token,
 *   AppAuthGuard: an app API key, none: `security: []`), never from a decorator that could lie;
 * - the error answers every route of its kind can give (defaults.ts);
 * - a readable operationId (`postTransaction`): the route's own from @ApiOperation, else one made
 *   of its method and path.
 * Linted with Redocly's recommended rules by services/gateway/test/openapi-lint.e2e.spec.ts.
 */
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject, PathItemObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorResponse } from '@coffer/contracts/http';
import { AdminGuard } from '../auth/admin.guard';
import { AppAuthGuard } from '../auth/app-auth.guard';
import { addDefaultErrors, type RouteKind } from './defaults';
import { API_INTRODUCTION } from './introduction';
import { PUBLIC_DOCUMENT_PATHS } from './public-paths';

/** The API's version: its contract (docs/API.md), not the package's. */
export const API_VERSION = '1.0.0';

export const SECURITY_SCHEMES = {
  appApiKey: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'opaque API key (ck_…)',
    description: "An app's API key, from POST /admin/apps or POST /admin/apps/{app_id}/keys: every route outside /admin.",
  },
  adminToken: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'opaque token',
    description: 'The admin token (COFFER_ADMIN_TOKEN, or printed once at the first start): /admin routes only.',
  },
};

const SECURITY: Record<RouteKind, Array<Record<string, string[]>>> = {
  app: [{ appApiKey: [] }],
  admin: [{ adminToken: [] }],
  public: [],
};

const VERBS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type Verb = (typeof VERBS)[number];

export function buildOpenApiDocument(app: INestApplication, port: number): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Coffer')
    .setDescription(API_INTRODUCTION)
    .setVersion(API_VERSION)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative, so "Try it out" calls whichever gateway served the page (npm start: port ${port}).
    .addServer('/', `the gateway serving this document (npm start listens on port ${port})`)
    .addSecurity('appApiKey', SECURITY_SCHEMES.appApiKey)
    .addSecurity('adminToken', SECURITY_SCHEMES.adminToken)
    .addTag('finance', 'Finance events, transactions, transfers, balances, statements')
    .addTag('leaderboards', 'Rankings across the community')
    .addTag('achievements', "An app's achievements and a user's badges")
    .addTag('admin', 'Apps, API keys and grants: the admin token only')
    .addTag('operations', 'Health, readiness, metrics and these documents: no credentials');
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ErrorResponse],
    // A marker replaced below: a route without an operationId of its own gets one from its path.
    operationIdFactory: (controller, method) => `${UNNAMED}${controller}.${method}`,
  });
  const kinds = routeKinds(app);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const verb of VERBS) {
      const operation = item[verb];
      if (!operation) continue;
      const kind = kinds.get(`${verb} ${path}`) ?? 'public';
      operation.security = SECURITY[kind];
      if (operation.operationId?.startsWith(UNNAMED)) operation.operationId = operationIdOf(verb, path);
      addDefaultErrors(operation, kind, verb);
    }
  }
  Object.assign(document.paths, PUBLIC_DOCUMENT_PATHS);
  addRequestExamples(document);
  return document;
}

/**
 * Each JSON request body's example, assembled from its fields' own examples, so "Try it out"
 * starts from exactly these values: a user id stays the string "169015299834642432" whatever a
 * viewer's sampler would make of a schema that also allows an integer (a JavaScript number cannot
 * hold a snowflake: it would show and send 169015299834642430).
 */
function addRequestExamples(document: OpenAPIObject): void {
  type Property = { example?: unknown; enum?: unknown[]; default?: unknown };
  const schemas = (document.components?.schemas ?? {}) as Record<string, { properties?: Record<string, Property>; required?: string[] }>;
  const valueOf = (property: Property): unknown => property.example ?? property.enum?.[0] ?? property.default;
  for (const item of Object.values(document.paths)) {
    for (const verb of VERBS) {
      const body = item[verb]?.requestBody;
      const json = body && 'content' in body ? body.content['application/json'] : undefined;
      const ref = json?.schema && '$ref' in json.schema ? json.schema.$ref : undefined;
      if (!json || !ref || json.example !== undefined || json.examples !== undefined) continue;
      const schema = schemas[ref.replace('#/components/schemas/', '')] ?? {};
      const properties = schema.properties ?? {};
      // A required field with nothing to show: no example rather than one the API would refuse.
      if ((schema.required ?? []).some((name) => properties[name] === undefined || valueOf(properties[name]) === undefined)) continue;
      const example = Object.fromEntries(
        Object.entries(properties)
          .filter(([, property]) => valueOf(property) !== undefined)
          .map(([name, property]) => [name, valueOf(property)]),
      );
      if (Object.keys(example).length > 0) json.example = example;
    }
  }
}

const UNNAMED = 'unnamed:';

/** `POST /finance/event/{id}/ping` → `postFinanceEventByIdPing`. */
export function operationIdOf(verb: Verb, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/^\{(.+)\}$/, 'by_$1'))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return verb + words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
}

/** Each route's kind by `<verb> <OpenAPI path>`, from the guards its controller and handler run. */
function routeKinds(app: INestApplication): Map<string, RouteKind> {
  const kinds = new Map<string, RouteKind>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const prefix = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
      const classGuards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, controller) ?? [];
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
        const paths = Reflect.getMetadata(PATH_METADATA, handler);
        if (method === undefined || paths === undefined) continue;
        const guards = [...classGuards, ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? [])];
        const kind: RouteKind = guards.includes(AdminGuard) ? 'admin' : guards.includes(AppAuthGuard) ? 'app' : 'public';
        for (const base of prefix) {
          for (const own of pathsOf(paths)) kinds.set(`${RequestMethod[method].toLowerCase()} ${openApiPath(base, own)}`, kind);
        }
      }
    }
  }
  return kinds;
}


function pathsOf(value: unknown): string[] {
  if (value === undefined) return [''];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** `finance/event` + `:id/ping` → `/finance/event/{id}/ping`, as the document names paths. */
function openApiPath(base: string, own: string): string {
  const joined = [base, own]
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .map((segment) => segment.replace(/^:(\w+)$/, '{$1}'))
    .join('/');
  return `/${joined}`;
}

export type { OperationObject, PathItemObject };
