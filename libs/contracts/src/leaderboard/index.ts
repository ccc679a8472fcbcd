// Leaderboards: their replies; their HTTP classes are in dto.ts ('@coffer/contracts/http').
export * from './replies';
