import { Command } from '@nestjs/cqrs';
import type { StreamTicketDto } from '../../dto/auth.dto';

export class IssueStreamTicketCommand extends Command<StreamTicketDto> {
  constructor(readonly userId: string) {
    super();
  }
}
