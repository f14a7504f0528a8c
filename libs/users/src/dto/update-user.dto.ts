import { IsOmittable, ROLES, type Role } from '@keel/core';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsIn,
  IsString,
  Length,
} from 'class-validator';

export class UpdateProfileDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOmittable()
  @IsString()
  @Length(1, 100)
  displayName?: string;
}

/** What an admin may change about a user. */
export class UpdateUserDto extends UpdateProfileDto {
  @ApiPropertyOptional({ enum: ROLES, isArray: true, example: ['user', 'admin'] })
  @IsOmittable()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  disabled?: boolean;
}
