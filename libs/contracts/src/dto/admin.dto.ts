import { Matches } from 'class-validator';
import { MAX_APP_NAME_LENGTH } from '../values/name';
import { AmountField, CurrencyField, DescriptionField, TextField, UserIdField } from './fields';

export class CreateAppDto {
  @TextField({ maxLength: MAX_APP_NAME_LENGTH, minLength: 1, required: true, description: 'name of the game or app', example: 'Blackjack' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

/** Funds from outside the games (rewards, purchases): moved from the treasury to the user. */
export class GrantDto {
  @UserIdField('the user who receives the funds')
  user_id!: string | number;

  @AmountField()
  amount!: string | number;

  @CurrencyField()
  currency?: string;

  @DescriptionField('weekly community reward')
  description?: string | null;
}
