// Writes config/tracksink.example.yaml from the schema (see server/config/example.ts).
import { writeFileSync } from 'node:fs';
import { renderExampleConfig } from '../config/example.js';

writeFileSync('config/tracksink.example.yaml', renderExampleConfig());
console.log('wrote config/tracksink.example.yaml');
