import { Logger } from '@nestjs/common';

// Unit tests exercise code that logs through Nest's static Logger; keep their output to results.
Logger.overrideLogger(false);
