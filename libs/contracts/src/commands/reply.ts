/** The answer to any command of either writer (the ledger, achievements). */
/** Every command reply says where its last event sits in the store (read-your-writes). */
export interface CommandReply<Result> {
  result: Result;
  /** Global position of the command's last event ('' when it wrote none). */
  position: string;
  /** True when this command id was already decided: the first answer is returned again. */
  replayed: boolean;
}
