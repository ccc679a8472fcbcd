/**
 * Leaderboards: the community's wallets ranked by posted balance in a currency, and its users
 * ranked by achievements unlocked across every app. Only users: house accounts and the treasury
 * never appear. Ties share a rank, standard competition ranking (1, 1, 3): a user's rank is one
 * more than the number of users strictly ahead.
 */

/** A balance is exact at any size: a decimal string. */
export interface BalanceRank {
  rank: number;
  user_id: string;
  value: string;
}

/** How many achievements the user has unlocked. */
export interface AchievementRank {
  rank: number;
  user_id: string;
  value: number;
}
