/**
 * The PostgreSQL channel on which the projector announces, at the commit of each batch, the
 * global position the serving read models now include (payload: the position as a decimal).
 * Readers waiting for read-your-writes listen to it instead of polling the checkpoint.
 */
export const READ_CHECKPOINT_CHANNEL = 'coffer_read_checkpoint';
