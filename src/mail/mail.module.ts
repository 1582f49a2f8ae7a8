import { Module } from '@nestjs/common';
import { MailService } from './mail.service';

/** Outgoing e-mail: templates and SMTP delivery (nodemailer), asynchronous and retried. */
@Module({ providers: [MailService], exports: [MailService] })
export class MailModule {}
