import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { AmountField, CurrencyField, DescriptionField, UserIdField } from './fields';

export class CreateAppDto {
  @ApiProperty({ description: 'name of the game or app', minLength: 1, maxLength: 100, example: 'Blackjack' })
  @IsString()
  @Length(1, 100)
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
