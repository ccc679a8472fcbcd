import 'reflect-metadata';
import { runMicroservice } from '@coffer/platform';
import { LedgerModule } from './ledger.module';

runMicroservice('ledger', (config, logger, transport, _keys, registry) => LedgerModule.forRoot(config, logger, transport, {}, registry));
