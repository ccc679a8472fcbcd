import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { LedgerModule } from './ledger.module';

runMicroservice('ledger', (config, logger, transport) => LedgerModule.forRoot(config, logger, transport));
