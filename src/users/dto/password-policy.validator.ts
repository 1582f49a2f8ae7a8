import { Validate, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

interface Policy {
  problems(password: string, username: string, field: string): string[];
}

/** Set by PasswordPolicyService at start-up, so DTO validation reports policy problems with the other fields. */
let activePolicy: Policy | undefined;

export function usePasswordPolicy(policy: Policy): void {
  activePolicy = policy;
}

function problemsOf(args: ValidationArguments): string[] {
  if (typeof args.value !== 'string' || !activePolicy) return [];
  const username = (args.object as { username?: unknown }).username;
  return activePolicy.problems(args.value, typeof username === 'string' ? username : '', args.property);
}

@ValidatorConstraint({ name: 'passwordPolicy' })
class PasswordPolicyConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return problemsOf(args).length === 0;
  }

  defaultMessage(args: ValidationArguments): string {
    return problemsOf(args).join('; ');
  }
}

/** The password policy (length, common passwords, not the username) as a field validator. */
export const IsAcceptablePassword = () => Validate(PasswordPolicyConstraint);
