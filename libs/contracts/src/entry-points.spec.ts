/**
 * The two entry points of the built package, as Node loads them: '@coffer/contracts' (every
 * service) must not load the HTTP classes' libraries, which cost the backends ~0.3 s at start-up;
 * '@coffer/contracts/http' (the gateway) gives every concept's DTO classes.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const pkg = path.resolve(__dirname, '..');
const HTTP_LIBRARIES = ['class-validator', 'class-transformer', '@nestjs/swagger', '@nestjs/common'];

/** Builds the package (incremental: quick when `npm test` has just built it). */
beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', path.join(pkg, 'tsconfig.json')], { stdio: 'inherit' });
}, 120_000);

/** Loads `entry` in a fresh Node and answers the packages it loaded and the names it exports. */
function load(entry: string): { packages: string[]; exports: string[] } {
  const script = `
    const loaded = require(${JSON.stringify(entry)});
    const packages = Object.keys(require.cache)
      .map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1])
      .filter(Boolean);
    process.stdout.write(JSON.stringify({ packages: [...new Set(packages)], exports: Object.keys(loaded) }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('the built entry points', () => {
  it("'@coffer/contracts' loads no HTTP library, and offers no DTO class", () => {
    const { packages, exports } = load(pkg);
    expect(packages.filter((name) => HTTP_LIBRARIES.includes(name))).toEqual([]);
    expect(exports).toEqual(expect.arrayContaining(['FEED_EVENTS', 'isSettledEventPointer', 'MAX_APPS_PER_PAGE', 'parseUserId']));
    expect(exports.filter((name) => name.endsWith('Dto') || name.endsWith('View'))).toEqual([]);
  });

  it("'@coffer/contracts/http' gives every concept's HTTP classes", () => {
    const { exports } = load(path.join(pkg, 'http'));
    expect(exports).toEqual(
      expect.arrayContaining([
        'CreateAppDto', // app
        'OpenEventDto', // finance event
        'PostTransactionDto', // finance transaction
        'BalanceView', // balance
        'RegisterAchievementDto', // achievement
        'ErrorResponse', // shared
      ]),
    );
  });
});
