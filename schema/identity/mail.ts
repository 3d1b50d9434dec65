// Invitations and password resets reach people by mail. The sender is pluggable so a deployment
// can plug in its own transport; out of the box the link goes to the server log, or to a file.
import { appendFile } from "node:fs/promises";
import { log } from "../common/log.js";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

/** The default: whoever runs the server reads the link in its log and passes it on. */
export const logMailSender: MailSender = {
  async send({ to, subject, text }) {
    log.info({ mail: { to, subject, text } }, `[mail] to ${to}: ${subject}`);
  },
};

/** One JSON line per message in an outbox file, for local development and the test suites. */
export function fileMailSender(path: string): MailSender {
  return {
    async send(message) {
      await appendFile(path, JSON.stringify(message) + "\n");
    },
  };
}

/** The sender and the address of the web client, which links in messages point to. */
export interface Mail {
  sender: MailSender;
  publicUrl: string;
}
