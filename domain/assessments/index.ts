// The assessment domain's public surface: rule packs and presets, the account state and its steps,
// orders, evaluation, reports and leaderboards. Workflows, activities and the API import from here.
export * from './decimal';
export * from './trading-day';
export * from './rule-pack';
export * from './presets';
export * from './account';
export * from './market';
export * from './limits';
export * from './objectives';
export * from './orders';
export * from './evaluate';
export * from './explain';
export * from './statistics';
export * from './equity-curve';
export * from './report';
export * from './leaderboard';
