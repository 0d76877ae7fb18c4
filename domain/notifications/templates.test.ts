// Every template in every language renders for every audience with edge amounts: zero, one minor unit,
// the largest storable amount, and currencies of zero (JPY, KRW) and three (KWD, BHD) decimals — exact,
// never rounded, in both the plain-text and the HTML part.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LANGUAGES, NOTICE_TYPES, type Notice, type Recipient } from './catalogue';
import { formatAmount, majorDecimal } from './format';
import { renderNotice } from './templates';

const AMOUNT_FIELDS = ['amountMinor', 'contributionMinor', 'lateFeeMinor', 'paidMinor', 'arrearsMinor', 'discountMinor', 'potMinor'];

function noticeOf(type: Notice['type'], currency: string, amountMinor: string): Notice {
  const data: Notice['data'] = {
    poolName: 'Equb <Addis> & "friends"',
    currency,
    round: 3,
    attempt: 2,
    failureCode: 'card_declined',
    nextRetryAt: '2026-03-02T09:00:00.000Z',
    graceEndsAt: '2026-03-04T09:00:00.000Z',
    dueAt: '2026-03-05T09:00:00.000Z',
    closesAt: '2026-03-06T09:00:00.000Z',
    expectedArrivalAt: '2026-03-07T09:00:00.000Z',
    defaultPolicy: 'suspend',
    leadHours: 24,
    memberId: 'm-1',
    winnerMemberId: 'm-2',
    roundsPlanned: 10,
    roundsCompleted: 10,
    amountByMember: [`m-1=${amountMinor}`],
    membersInArrears: 1,
    arrearsByCurrency: [`${currency}=${amountMinor}`],
    suspendedCount: 1,
    expelledCount: 0,
    details: ['Equb: m-1, m-2*'],
  };
  for (const field of AMOUNT_FIELDS) data[field] = amountMinor;
  return { key: `${type}:p:1`, type, poolId: 'p', managerId: 'mgr', occurredAt: '2026-03-01T09:00:00.000Z', recipients: [], data };
}

describe('notice templates', () => {
  test('amounts keep their exact minor units in each currency’s decimals', () => {
    assert.equal(majorDecimal('0', 'usd'), '0.00');
    assert.equal(majorDecimal('1', 'usd'), '0.01');
    assert.equal(majorDecimal('5', 'jpy'), '5');
    assert.equal(majorDecimal('1', 'kwd'), '0.001');
    assert.equal(majorDecimal('9223372036854775807', 'bhd'), '9223372036854775.807');
    assert.equal(formatAmount('123456', 'usd', 'en'), '$1,234.56');
    assert.equal(formatAmount('123456', 'jpy', 'en'), '¥123,456');
    assert.equal(formatAmount('123456', 'kwd', 'en').replace(/\s/g, ' '), 'KWD 123.456');
    assert.equal(formatAmount('0', 'krw', 'en'), '₩0');
    assert.equal(formatAmount('123456', 'eur', 'es').replace(/\s/g, ' '), '1234,56 €');
    assert.equal(formatAmount('9223372036854775807', 'usd', 'en'), '$92,233,720,368,547,758.07', 'no rounding through a double');
  });

  const cases: Array<[string, string, RegExp]> = [
    ['usd', '0', /\$0\.00/],
    ['usd', '1', /\$0\.01/],
    ['usd', '9223372036854775807', /92,233,720,368,547,758\.07/],
    ['jpy', '0', /¥0(?![.,]\d)/],
    ['jpy', '987654', /¥987,654(?![.,]\d)/],
    ['krw', '1', /₩1(?![.,]\d)/],
    ['kwd', '1', /0\.001/],
    ['bhd', '1234567', /1,234\.567/],
  ];
  const audiences: Recipient[] = [
    { role: 'member', id: 'm-1' },
    { role: 'manager', id: 'mgr' },
  ];

  for (const type of NOTICE_TYPES) {
    test(`${type}: renders in ${LANGUAGES.join(' and ')} with edge amounts`, () => {
      for (const language of LANGUAGES) {
        // Reminders go to paying members only (derive.ts), each with their own amount.
        for (const recipient of type === 'contribution.due_soon' ? audiences.slice(0, 1) : audiences) {
          for (const [currency, amount, shown] of cases) {
            const rendered = renderNotice(noticeOf(type, currency, amount), recipient, language, 'Abebe');
            assert.ok(rendered.subject.length > 0 && !rendered.subject.includes('undefined'), rendered.subject);
            assert.ok(!rendered.text.includes('undefined') && !rendered.text.includes('NaN'), rendered.text);
            assert.match(rendered.text, language === 'en' ? /Hello Abebe,/ : /Hola Abebe:/);
            assert.match(rendered.html, new RegExp(`<html lang="${language}">`));
            // The pool's name is escaped in HTML, never injected.
            assert.ok(!rendered.html.includes('<Addis>'));
            const mentionsMoney = !['pool.paused', 'pool.resumed', 'pool.completed', 'pool.cancelled', 'bid_window.opened', 'member.restored'].includes(type);
            if (mentionsMoney && language === 'en') assert.match(rendered.text, shown, `${type} ${currency} ${amount}`);
            if (mentionsMoney) assert.ok(rendered.text.includes(formatAmount(amount, currency, language)), `${type} shows the amount in ${language}`);
          }
        }
      }
    });
  }

  test('the two languages differ, and a failed payment says what happens next and by when', () => {
    const notice = noticeOf('payment.failed', 'usd', '10500');
    const en = renderNotice(notice, { role: 'member', id: 'm-1' }, 'en', 'Ana');
    const es = renderNotice(notice, { role: 'member', id: 'm-1' }, 'es', 'Ana');
    assert.notEqual(en.subject, es.subject);
    assert.match(en.text, /We will try again on Monday, March 2, 2026 at 09:00 UTC, adding a late fee of \$105\.00/);
    assert.match(en.text, /grace period ends on Wednesday, March 4, 2026 at 09:00 UTC, you are suspended until your arrears are paid/);
    assert.match(es.text, /Lo intentaremos de nuevo el lunes, 2 de marzo de 2026, 9:00 UTC|Lo intentaremos de nuevo el lunes, 2 de marzo de 2026, 09:00 UTC/);
    const last = renderNotice({ ...notice, data: { ...notice.data, nextRetryAt: null } }, { role: 'member', id: 'm-1' }, 'en', 'Ana');
    assert.match(last.text, /no further retries/);
  });
});
