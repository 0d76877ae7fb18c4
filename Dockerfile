# The API and worker image: Node 20, production dependencies only, TypeScript run through tsx (the
# same way the local stack runs it). The command chooses the process: api/main.ts or workers/main.ts.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
CMD ["node", "--import", "tsx", "api/main.ts"]
