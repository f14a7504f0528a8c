import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { StreamTicketDto } from '../../dto/auth.dto';
import { STREAM_TICKET_TTL_SECONDS, TokensService } from '../../tokens.service';
import { IssueStreamTicketCommand } from './issue-stream-ticket.command';

@CommandHandler(IssueStreamTicketCommand)
export class IssueStreamTicketHandler implements ICommandHandler<IssueStreamTicketCommand> {
  constructor(private readonly tokens: TokensService) {}

  async execute({ userId }: IssueStreamTicketCommand): Promise<StreamTicketDto> {
    return {
      ticket: await this.tokens.issueStreamTicket(userId),
      expiresIn: STREAM_TICKET_TTL_SECONDS,
    };
  }
}
