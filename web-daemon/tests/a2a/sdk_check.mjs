// The official A2A JavaScript SDK (npm @a2a-js/sdk, pinned in package.json) against a real
// pacer: card resolution, SendMessage with a data part, a text part and plain language, GetTask,
// and an unknown task. Run by scripts/a2a-check:
//
//   PACER_URL=http://127.0.0.1:8081 PACER_API_KEY=pk_live_... node sdk_check.mjs
//
// Prints one line per check and "a2a-js: N passed, M failed"; exits 1 when a check fails.
import { randomUUID } from 'node:crypto';

import { Role, TaskState } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { TaskNotFoundError } from '@a2a-js/sdk/errors';

const URL = (process.env.PACER_URL ?? 'http://127.0.0.1:8081').replace(/\/$/, '');
const KEY = process.env.PACER_API_KEY ?? '';
const results = [];

function check(name, ok, detail = '') {
  results.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} js: ${name}${detail ? ` (${detail})` : ''}`);
}

// pacer's API key on every request the SDK makes (card and JSON-RPC).
const fetchImpl = (url, init = {}) =>
  fetch(url, { ...init, headers: { ...(init.headers ?? {}), 'X-API-Key': KEY }, signal: AbortSignal.timeout(30_000) });

function message(part) {
  return {
    tenant: '',
    metadata: {},
    configuration: undefined,
    message: {
      messageId: randomUUID(),
      role: Role.ROLE_USER,
      parts: [{ content: part, metadata: undefined, filename: '', mediaType: '' }],
      taskId: '',
      contextId: '',
      extensions: [],
      metadata: {},
      referenceTaskIds: [],
    },
  };
}

/** The data of a completed task's first data part. */
function dataOf(task) {
  const part = task?.artifacts?.[0]?.parts?.find((p) => p.content?.$case === 'data');
  return part?.content.value;
}

async function attempt(name, body) {
  try {
    await body();
  } catch (e) {
    check(name, false, `${e?.name ?? 'Error'}: ${e?.message ?? e}`);
  }
}

async function main() {
  if (!KEY) {
    console.error('set PACER_API_KEY');
    process.exit(2);
  }
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    }),
  );
  let client;
  await attempt('card resolution', async () => {
    client = await factory.createFromUrl(URL);
    const card = client.agentCard;
    check(
      'card resolution',
      card.name === 'pacer' && card.skills.length > 0 && client.protocolVersion === '1.0',
      `${card.name}, ${card.skills.length} skills, speaking ${client.protocolVersion}`,
    );
  });
  if (!client) return;

  let task;
  await attempt('SendMessage with a data part', async () => {
    const data = { skill: 'get_activities', arguments: { limit: 3 } };
    task = await client.sendMessage(message({ $case: 'data', value: data }));
    const activities = dataOf(task)?.activities ?? [];
    check(
      'SendMessage with a data part',
      task?.status?.state === TaskState.TASK_STATE_COMPLETED && activities.length === 3,
      `task ${task?.id}: state ${task?.status?.state}, ${activities.length} activities`,
    );
  });

  await attempt('SendMessage with a text part', async () => {
    const t = await client.sendMessage(message({ $case: 'text', value: 'get_activities limit 2' }));
    const activities = dataOf(t)?.activities ?? [];
    check(
      'SendMessage with a text part',
      t?.status?.state === TaskState.TASK_STATE_COMPLETED && activities.length === 2,
      `${activities.length} activities`,
    );
  });

  await attempt('plain language lists the skills', async () => {
    const reply = await client.sendMessage(message({ $case: 'text', value: 'How far did I run last week?' }));
    const text = reply?.parts?.[0]?.content?.value ?? '';
    check(
      'plain language lists the skills',
      reply?.role === Role.ROLE_AGENT && text.startsWith('unknown skill') && text.includes('get_activities'),
      text.slice(0, 60),
    );
  });

  await attempt('GetTask', async () => {
    const again = await client.getTask({ tenant: '', id: task?.id ?? '', historyLength: undefined });
    check(
      'GetTask',
      again?.id === task?.id && again?.status?.state === TaskState.TASK_STATE_COMPLETED && dataOf(again)?.activities?.length === 3,
      `state ${again?.status?.state}`,
    );
  });

  try {
    await client.getTask({ tenant: '', id: 'no-such-task', historyLength: undefined });
    check('unknown task is TaskNotFoundError', false, 'no error');
  } catch (e) {
    check('unknown task is TaskNotFoundError', e instanceof TaskNotFoundError, `${e?.name}: ${e?.message}`);
  }
}

await main();
const failed = results.filter((ok) => !ok).length;
console.log(`a2a-js: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
