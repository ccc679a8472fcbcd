// Admin roles and the operators' limits; the HTTP classes are in dto.ts (through '@coffer/contracts/http').
export * from './roles';
