// One Jest run for the whole workspace: @swc/jest compiles TypeScript with decorator metadata
// (without it Nest injects undefined), and @coffer/* resolves to each library's source.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

// Dependencies published as ES modules only (content-disposition 3, under @fastify/static, which
// serves /docs): Node 20.19+ requires them natively, Jest's CommonJS runtime cannot, so they are
// compiled to CommonJS like our own code.
const esmOnly = ['content-disposition'];
const swcJs = { ...swc, jsc: { ...swc.jsc, parser: { syntax: 'ecmascript' } } };

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/chaos', '<rootDir>/examples'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: ['@swc/jest', swcJs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    '^@coffer/contracts/http$': '<rootDir>/libs/contracts/src/dto',
    '^@coffer/([a-z-]+)$': '<rootDir>/libs/$1/src',
    // The gateway's operations routes run the projector's verify and rebuild (its built entry).
    '^@coffer/projector/dist/(.+)$': '<rootDir>/services/projector/src/$1',
    // libs/sdk writes its relative imports as './x.js' (Node's ES module loader needs the
    // extension in its ESM build); here they are its TypeScript sources.
    '^(\\.{1,2}/.+)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/tools/jest-summary-reporter.js'],
};
