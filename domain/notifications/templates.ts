// The words of every notice in each language: a subject and paragraphs, rendered into a plain-text and
// an HTML part for email, and a title and body for the in-app feed. Pure, so a template test needs no
// stack, and every notice type must have a template in every language (the type checker sees to it).
import { amountFor } from './derive';
import { formatAmount, formatDateTime } from './format';
import type { Language, Notice, NoticeType, Recipient } from './catalogue';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

interface Context {
  notice: Notice;
  recipient: Recipient;
  name: string;
  money: (field: string) => string;
  when: (field: string) => string;
  value: (field: string) => string;
  /** A list of `currency=amountMinor` entries as formatted amounts joined with "+". */
  totals: (field: string) => string;
  list: (field: string) => string[];
}

type Template = (c: Context) => { subject: string; paragraphs: string[] };

const POLICY_WORDS: Record<Language, Record<string, string>> = {
  en: {
    'cover-from-reserve': 'the pool’s reserve covers your share and you owe it back with your next contribution; if the reserve cannot, you are suspended',
    suspend: 'you are suspended until your arrears are paid: you keep paying but cannot receive the pot',
    expel: 'you are expelled from the pool',
  },
  es: {
    'cover-from-reserve': 'la reserva del grupo cubre tu parte y la devuelves con tu próxima aportación; si la reserva no alcanza, quedas suspendido',
    suspend: 'quedas suspendido hasta pagar tus atrasos: sigues aportando pero no puedes recibir el bote',
    expel: 'quedas expulsado del grupo',
  },
};

const EN: Record<NoticeType, Template> = {
  'contribution.due_soon': (c) => ({
    subject: `${c.value('poolName')}: your contribution is due ${c.when('dueAt')}`,
    paragraphs: [
      `Hello ${c.name},`,
      `Round ${c.value('round')} of ${c.value('poolName')} is due on ${c.when('dueAt')}. We will charge ${c.money('memberAmount')} to your saved card.`,
      'Make sure the card has enough funds; you can change your reminders in your notification preferences.',
    ],
  }),
  'payment.succeeded': (c) => ({
    subject: `${c.value('poolName')}: payment received`,
    paragraphs: [
      `Hello ${c.name},`,
      `We received your payment of ${c.money('amountMinor')} for round ${c.value('round')} of ${c.value('poolName')}. Thank you.`,
    ],
  }),
  'payment.failed': (c) => ({
    subject: `${c.value('poolName')}: your payment failed`,
    paragraphs: [
      `Hello ${c.name},`,
      `Your payment of ${c.money('amountMinor')} for round ${c.value('round')} of ${c.value('poolName')} failed (attempt ${c.value('attempt')}, reason: ${c.value('failureCode')}).`,
      c.notice.data.nextRetryAt
        ? `We will try again on ${c.when('nextRetryAt')}, adding a late fee of ${c.money('lateFeeMinor')}. Please check your card before then.`
        : `There are no further retries this round.`,
      `If the contribution is still unpaid when the grace period ends on ${c.when('graceEndsAt')}, ${POLICY_WORDS.en[c.value('defaultPolicy')]}.`,
    ],
  }),
  'late_fee.applied': (c) => ({
    subject: `${c.value('poolName')}: late fee applied`,
    paragraphs: [
      `Hello ${c.name},`,
      `A late fee of ${c.money('lateFeeMinor')} was added to your round ${c.value('round')} payment of ${c.money('paidMinor')} in ${c.value('poolName')}.`,
    ],
  }),
  'member.suspended': (c) => ({
    subject: `${c.value('poolName')}: ${c.recipient.role === 'member' ? 'you are' : `${c.value('memberId')} is`} suspended`,
    paragraphs: [
      `Hello ${c.name},`,
      `${c.recipient.role === 'member' ? 'You are' : `Member ${c.value('memberId')} is`} suspended in ${c.value('poolName')} with arrears of ${c.money('arrearsMinor')}. Arrears are collected with the next contribution; once paid, good standing returns.`,
    ],
  }),
  'member.restored': (c) => ({
    subject: `${c.value('poolName')}: good standing restored`,
    paragraphs: [
      `Hello ${c.name},`,
      `${c.recipient.role === 'member' ? 'Your' : `Member ${c.value('memberId')}'s`} arrears in ${c.value('poolName')} are paid: good standing is restored.`,
    ],
  }),
  'member.expelled': (c) => ({
    subject: `${c.value('poolName')}: ${c.recipient.role === 'member' ? 'you were' : `${c.value('memberId')} was`} expelled`,
    paragraphs: [
      `Hello ${c.name},`,
      `${c.recipient.role === 'member' ? 'You were' : `Member ${c.value('memberId')} was`} expelled from ${c.value('poolName')}, owing ${c.money('arrearsMinor')}.`,
    ],
  }),
  'payout.sent': (c) => ({
    subject: `${c.value('poolName')}: ${c.money('amountMinor')} is on its way`,
    paragraphs: [
      `Hello ${c.name},`,
      `We sent you ${c.money('amountMinor')} from round ${c.value('round')} of ${c.value('poolName')}. It should reach your bank account by ${c.when('expectedArrivalAt')}.`,
    ],
  }),
  'bid_window.opened': (c) => ({
    subject: `${c.value('poolName')}: bidding is open for round ${c.value('round')}`,
    paragraphs: [
      `Hello ${c.name},`,
      `Bidding for round ${c.value('round')} of ${c.value('poolName')} is open until ${c.when('closesAt')}. Bid the discount you accept to take the pot this round.`,
    ],
  }),
  'bid.result': (c) => ({
    subject: `${c.value('poolName')}: round ${c.value('round')} auction result`,
    paragraphs: [
      `Hello ${c.name},`,
      `Round ${c.value('round')} of ${c.value('poolName')} went to ${c.value('winnerMemberId')} at a discount of ${c.money('discountMinor')}.`,
    ],
  }),
  'pool.activated': (c) => ({
    subject: `${c.value('poolName')} has started`,
    paragraphs: [
      `Hello ${c.name},`,
      `${c.value('poolName')} is now active with ${c.value('roundsPlanned')} rounds planned. Each round asks ${c.money('contributionMinor')} of every member.`,
    ],
  }),
  'pool.paused': (c) => ({
    subject: `${c.value('poolName')} is paused`,
    paragraphs: [`Hello ${c.name},`, `${c.value('poolName')} is paused: no round starts and no reminder is sent until it resumes.`],
  }),
  'pool.resumed': (c) => ({
    subject: `${c.value('poolName')} has resumed`,
    paragraphs: [`Hello ${c.name},`, `${c.value('poolName')} has resumed; rounds follow their usual schedule.`],
  }),
  'pool.completed': (c) => ({
    subject: `${c.value('poolName')} is complete`,
    paragraphs: [`Hello ${c.name},`, `${c.value('poolName')} has completed all ${c.value('roundsCompleted')} rounds. Thank you for taking part.`],
  }),
  'pool.cancelled': (c) => ({
    subject: `${c.value('poolName')} was cancelled`,
    paragraphs: [
      `Hello ${c.name},`,
      `${c.value('poolName')} was cancelled. Whatever you paid into a round that had not paid out is refunded to your card, and what the pot still holds is returned to members in proportion to what each paid in; you will receive a notice for each refund.`,
    ],
  }),
  'refund.issued': (c) => ({
    subject: `${c.value('poolName')}: ${c.money('amountMinor')} refunded`,
    paragraphs: [
      `Hello ${c.name},`,
      `We refunded ${c.money('amountMinor')} from round ${c.value('round')} of ${c.value('poolName')} to your card. Refunds usually appear within 5 to 10 business days.`,
    ],
  }),
  'manager.digest': (c) => ({
    subject: `Daily digest: ${c.value('membersInArrears')} members in arrears`,
    paragraphs: [
      `Hello ${c.name},`,
      `Across your pools, ${c.value('membersInArrears')} members owe ${c.totals('arrearsByCurrency')} in arrears; ${c.value('suspendedCount')} are suspended and ${c.value('expelledCount')} expelled (* suspended, † expelled).`,
      ...c.list('details'),
    ],
  }),
};

const ES: Record<NoticeType, Template> = {
  'contribution.due_soon': (c) => ({
    subject: `${c.value('poolName')}: tu aportación vence el ${c.when('dueAt')}`,
    paragraphs: [
      `Hola ${c.name}:`,
      `La ronda ${c.value('round')} de ${c.value('poolName')} vence el ${c.when('dueAt')}. Cargaremos ${c.money('memberAmount')} a tu tarjeta guardada.`,
      'Asegúrate de que la tarjeta tenga fondos; puedes cambiar tus recordatorios en tus preferencias de notificación.',
    ],
  }),
  'payment.succeeded': (c) => ({
    subject: `${c.value('poolName')}: pago recibido`,
    paragraphs: [`Hola ${c.name}:`, `Recibimos tu pago de ${c.money('amountMinor')} para la ronda ${c.value('round')} de ${c.value('poolName')}. Gracias.`],
  }),
  'payment.failed': (c) => ({
    subject: `${c.value('poolName')}: tu pago no se pudo cobrar`,
    paragraphs: [
      `Hola ${c.name}:`,
      `Tu pago de ${c.money('amountMinor')} para la ronda ${c.value('round')} de ${c.value('poolName')} falló (intento ${c.value('attempt')}, motivo: ${c.value('failureCode')}).`,
      c.notice.data.nextRetryAt
        ? `Lo intentaremos de nuevo el ${c.when('nextRetryAt')}, con un recargo por demora de ${c.money('lateFeeMinor')}. Revisa tu tarjeta antes.`
        : 'No habrá más reintentos en esta ronda.',
      `Si la aportación sigue sin pagarse al terminar el periodo de gracia el ${c.when('graceEndsAt')}, ${POLICY_WORDS.es[c.value('defaultPolicy')]}.`,
    ],
  }),
  'late_fee.applied': (c) => ({
    subject: `${c.value('poolName')}: recargo por demora aplicado`,
    paragraphs: [
      `Hola ${c.name}:`,
      `Se añadió un recargo por demora de ${c.money('lateFeeMinor')} a tu pago de ${c.money('paidMinor')} de la ronda ${c.value('round')} de ${c.value('poolName')}.`,
    ],
  }),
  'member.suspended': (c) => ({
    subject: `${c.value('poolName')}: ${c.recipient.role === 'member' ? 'estás suspendido' : `${c.value('memberId')} está suspendido`}`,
    paragraphs: [
      `Hola ${c.name}:`,
      `${c.recipient.role === 'member' ? 'Estás suspendido' : `El miembro ${c.value('memberId')} está suspendido`} en ${c.value('poolName')} con atrasos de ${c.money('arrearsMinor')}. Los atrasos se cobran con la próxima aportación; una vez pagados, se recupera la situación regular.`,
    ],
  }),
  'member.restored': (c) => ({
    subject: `${c.value('poolName')}: situación regular recuperada`,
    paragraphs: [
      `Hola ${c.name}:`,
      `${c.recipient.role === 'member' ? 'Tus atrasos' : `Los atrasos de ${c.value('memberId')}`} en ${c.value('poolName')} están pagados: se recupera la situación regular.`,
    ],
  }),
  'member.expelled': (c) => ({
    subject: `${c.value('poolName')}: ${c.recipient.role === 'member' ? 'has sido expulsado' : `${c.value('memberId')} fue expulsado`}`,
    paragraphs: [
      `Hola ${c.name}:`,
      `${c.recipient.role === 'member' ? 'Has sido expulsado' : `El miembro ${c.value('memberId')} fue expulsado`} de ${c.value('poolName')}, con una deuda de ${c.money('arrearsMinor')}.`,
    ],
  }),
  'payout.sent': (c) => ({
    subject: `${c.value('poolName')}: ${c.money('amountMinor')} en camino`,
    paragraphs: [
      `Hola ${c.name}:`,
      `Te enviamos ${c.money('amountMinor')} de la ronda ${c.value('round')} de ${c.value('poolName')}. Debería llegar a tu cuenta bancaria antes del ${c.when('expectedArrivalAt')}.`,
    ],
  }),
  'bid_window.opened': (c) => ({
    subject: `${c.value('poolName')}: puja abierta para la ronda ${c.value('round')}`,
    paragraphs: [
      `Hola ${c.name}:`,
      `La puja de la ronda ${c.value('round')} de ${c.value('poolName')} está abierta hasta el ${c.when('closesAt')}. Puja el descuento que aceptas para llevarte el bote en esta ronda.`,
    ],
  }),
  'bid.result': (c) => ({
    subject: `${c.value('poolName')}: resultado de la puja de la ronda ${c.value('round')}`,
    paragraphs: [
      `Hola ${c.name}:`,
      `La ronda ${c.value('round')} de ${c.value('poolName')} fue para ${c.value('winnerMemberId')} con un descuento de ${c.money('discountMinor')}.`,
    ],
  }),
  'pool.activated': (c) => ({
    subject: `${c.value('poolName')} ha comenzado`,
    paragraphs: [
      `Hola ${c.name}:`,
      `${c.value('poolName')} está activo con ${c.value('roundsPlanned')} rondas previstas. Cada ronda pide ${c.money('contributionMinor')} a cada miembro.`,
    ],
  }),
  'pool.paused': (c) => ({
    subject: `${c.value('poolName')} está en pausa`,
    paragraphs: [`Hola ${c.name}:`, `${c.value('poolName')} está en pausa: no empieza ninguna ronda ni se envían recordatorios hasta que se reanude.`],
  }),
  'pool.resumed': (c) => ({
    subject: `${c.value('poolName')} se ha reanudado`,
    paragraphs: [`Hola ${c.name}:`, `${c.value('poolName')} se ha reanudado; las rondas siguen su calendario habitual.`],
  }),
  'pool.completed': (c) => ({
    subject: `${c.value('poolName')} ha terminado`,
    paragraphs: [`Hola ${c.name}:`, `${c.value('poolName')} completó sus ${c.value('roundsCompleted')} rondas. Gracias por participar.`],
  }),
  'pool.cancelled': (c) => ({
    subject: `${c.value('poolName')} fue cancelado`,
    paragraphs: [
      `Hola ${c.name}:`,
      `${c.value('poolName')} fue cancelado. Lo que pagaste en una ronda que aún no se había repartido se reembolsa a tu tarjeta, y lo que queda en el bote se devuelve a los miembros en proporción a lo que aportó cada uno; recibirás un aviso por cada reembolso.`,
    ],
  }),
  'refund.issued': (c) => ({
    subject: `${c.value('poolName')}: reembolso de ${c.money('amountMinor')}`,
    paragraphs: [
      `Hola ${c.name}:`,
      `Reembolsamos ${c.money('amountMinor')} de la ronda ${c.value('round')} de ${c.value('poolName')} a tu tarjeta. Suele aparecer en 5 a 10 días hábiles.`,
    ],
  }),
  'manager.digest': (c) => ({
    subject: `Resumen diario: ${c.value('membersInArrears')} miembros con atrasos`,
    paragraphs: [
      `Hola ${c.name}:`,
      `En tus grupos, ${c.value('membersInArrears')} miembros deben ${c.totals('arrearsByCurrency')} en atrasos; ${c.value('suspendedCount')} están suspendidos y ${c.value('expelledCount')} expulsados (* suspendido, † expulsado).`,
      ...c.list('details'),
    ],
  }),
};

const TEMPLATES: Record<Language, Record<NoticeType, Template>> = { en: EN, es: ES };
const FOOTER: Record<Language, string> = {
  en: 'Poolflow — you receive this because you take part in this pool.',
  es: 'Poolflow — recibes este mensaje porque participas en este grupo.',
};

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Renders a notice for one recipient in their language; `name` is how they are greeted. */
export function renderNotice(notice: Notice, recipient: Recipient, language: Language, name: string): Rendered {
  const data = notice.data;
  const currency = String(data.currency ?? 'usd');
  const value = (field: string) => {
    const raw = data[field];
    return raw === null || raw === undefined ? '—' : Array.isArray(raw) ? raw.join(', ') : String(raw);
  };
  const money = (field: string) => {
    // A reminder carries every member's amount; each reader sees their own.
    const raw = field === 'memberAmount' ? amountFor((data.amountByMember as string[] | undefined) ?? [], recipient.id) : data[field];
    return formatAmount(typeof raw === 'string' ? raw : '0', currency, language);
  };
  const when = (field: string) => (typeof data[field] === 'string' ? formatDateTime(data[field], language) : '—');
  const list = (field: string) => (Array.isArray(data[field]) ? data[field] : []);
  const totals = (field: string) =>
    list(field)
      .map((entry) => {
        const [code, amount] = entry.split('=');
        return formatAmount(amount ?? '0', code ?? currency, language);
      })
      .join(' + ') || formatAmount('0', currency, language);
  const { subject, paragraphs } = TEMPLATES[language][notice.type]({ notice, recipient, name, money, when, value, totals, list });
  const text = [...paragraphs, '--', FOOTER[language]].join('\n\n') + '\n';
  const html =
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    `<body style="font-family:sans-serif;line-height:1.5">${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}` +
    `<hr><p style="color:#666;font-size:small">${escapeHtml(FOOTER[language])}</p></body></html>`;
  return { subject, text, html };
}
