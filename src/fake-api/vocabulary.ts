/**
 * What generated records are made of: names in many scripts, company words, countries with their streets,
 * postal codes and phone formats, and the pickers that draw a role list, external ids or tax ids.
 */
import { KNOWN_ROLES } from '../shared/schema/api.ts';
import { digits, pairs, type Random } from './random.ts';

/** A name as shown, and the ASCII form used to make email addresses. */
export type Name = readonly [display: string, ascii: string];

export function asciiOf(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[łŁ]/g, 'l')
    .replace(/[øØ]/g, 'o')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function names(list: readonly (string | Name)[]): readonly Name[] {
  return list.map((entry) => (typeof entry === 'string' ? [entry, asciiOf(entry)] : entry));
}

export const FIRST_NAMES = names([
  'Jean',
  'Marie',
  'Pierre',
  'Sophie',
  'Camille',
  'Lucas',
  'Chloé',
  'Hélène',
  'François',
  'Noël',
  'Hans',
  'Anna',
  'Jürgen',
  'Björn',
  'Søren',
  'Zoë',
  'Łukasz',
  'Agnieszka',
  'José',
  'María',
  'Íñigo',
  'John',
  'Emily',
  'Michael',
  'Sarah',
  'David',
  'Laura',
  'Giulia',
  'Marco',
  'Aoife',
  'Siobhán',
  ['太郎', 'taro'],
  ['花子', 'hanako'],
  ['Γιώργος', 'giorgos'],
  ['Ελένη', 'eleni'],
  ['محمد', 'mohammed'],
  ['فاطمة', 'fatima'],
  ['Дмитрий', 'dmitry'],
  ['Ольга', 'olga'],
]);

export const LAST_NAMES = names([
  'Dupont',
  'Martin',
  'Bernard',
  'Lefèvre',
  'Moreau',
  'Girard',
  'Müller',
  'Schmidt',
  'Schneider',
  'Weiß',
  'Ñúñez',
  'García',
  'Fernández',
  'López',
  "O'Brien",
  "O'Connor",
  "D'Angelo",
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Kowalski',
  'Nowak',
  'Wiśniewski',
  'Jørgensen',
  'van der Berg',
  'Le Gall',
  'Rossi',
  'Bianchi',
  'Murphy',
  'Nguyễn',
  ['山田', 'yamada'],
  ['佐藤', 'sato'],
  ['Παπαδόπουλος', 'papadopoulos'],
  ['العلي', 'alali'],
  ['Иванов', 'ivanov'],
  ['Петрова', 'petrova'],
]);

export const COMPANY_WORDS = names([
  'Atlas',
  'Horizon',
  'Nordwind',
  'Azur',
  'Quantum',
  'Helios',
  'Pyrénées',
  'Alpenblick',
  'Sakura',
  'Olympus',
  'Bosphore',
  'Baltic',
  'Granit',
  'Lumière',
  'Edelweiß',
  'Iberia',
  'Thames',
  'Acme',
]);

export const COMPANY_SECTORS = names([
  'Logistique',
  'Consulting',
  'Foods',
  'Systems',
  'Bau',
  'Médical',
  'Textiles',
  'Energy',
  'Immobilier',
  'Transports',
  'Software',
  'Papeterie',
]);

export interface CountryProfile {
  code: string;
  weight: number;
  tld: string;
  suffixes: readonly string[];
  cities: readonly string[];
  states: readonly string[] | null;
  street: (r: Random) => string;
  postalCode: (r: Random) => string;
  phones: readonly ((r: Random) => string)[];
}

const STREETS = ['de la Paix', 'Victor Hugo', 'du Moulin', 'des Lilas', 'Saint-Honoré', 'Jean Jaurès'];
const STRASSEN = ['Haupt', 'Bahnhof', 'Goethe', 'Schiller', 'Linden', 'Müller'];
const US_STREETS = ['Main', 'Oak', 'Maple', 'Washington', 'Lake', 'Hill'];

export const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'FR',
    weight: 30,
    tld: 'fr',
    suffixes: ['SAS', 'SARL', 'SA'],
    cities: ['Paris', 'Lyon', 'Marseille', 'Nîmes', 'Besançon', 'Saint-Étienne', 'Bourg-en-Bresse'],
    states: null,
    street: (r) => `${1 + r.int(120)} rue ${r.pick(STREETS)}`,
    postalCode: (r) => `0${1 + r.int(9)}${digits(r, 3)}`,
    phones: [
      (r) => `+33 6 ${pairs(r, 4)}`,
      (r) => `0${1 + r.int(5)} ${pairs(r, 4)}`,
      (r) => `+33${1 + r.int(7)}${digits(r, 8)}`,
      (r) => `+33 1 ${pairs(r, 4)} ext. ${digits(r, 2)}`,
    ],
  },
  {
    code: 'DE',
    weight: 15,
    tld: 'de',
    suffixes: ['GmbH', 'AG', 'KG'],
    cities: ['Berlin', 'München', 'Köln', 'Düsseldorf', 'Dresden'],
    states: null,
    street: (r) => `${r.pick(STRASSEN)}straße ${1 + r.int(200)}`,
    postalCode: (r) => `0${digits(r, 4)}`,
    phones: [(r) => `+49-30-${digits(r, 7)}`, (r) => `+49 89 ${digits(r, 8)}`, (r) => `030 ${digits(r, 7)}`],
  },
  {
    code: 'US',
    weight: 15,
    tld: 'com',
    suffixes: ['Inc.', 'LLC', 'Corp.'],
    cities: ['Boston', 'New York', 'San Francisco', 'Austin', 'Chicago'],
    states: ['MA', 'NY', 'CA', 'TX', 'IL'],
    street: (r) => `${1 + r.int(9000)} ${r.pick(US_STREETS)} St`,
    postalCode: (r) => (r.chance(0.3) ? `0${digits(r, 4)}-${digits(r, 4)}` : `0${digits(r, 4)}`),
    phones: [
      (r) => `(555) 010-${digits(r, 4)}`,
      (r) => `+1 555-010-${digits(r, 4)}`,
      (r) => `555.010.${digits(r, 4)}`,
    ],
  },
  {
    code: 'GB',
    weight: 10,
    tld: 'co.uk',
    suffixes: ['Ltd', 'PLC'],
    cities: ['London', 'Manchester', 'Leeds', 'Bristol'],
    states: null,
    street: (r) => `${1 + r.int(300)} ${r.pick(['High', 'Church', 'Station', 'Victoria'])} Road`,
    postalCode: (r) => r.pick(['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'LS1 4DY', 'BS1 5TR']),
    phones: [(r) => `+44 20 7946 0${digits(r, 3)}`],
  },
  {
    code: 'ES',
    weight: 8,
    tld: 'es',
    suffixes: ['S.L.', 'S.A.'],
    cities: ['Madrid', 'Barcelona', 'A Coruña', 'Logroño', 'Cádiz'],
    states: null,
    street: (r) => `Calle ${r.pick(['Mayor', 'del Pez', 'de Alcalá', 'Núñez de Balboa'])}, ${1 + r.int(150)}`,
    postalCode: (r) => `0${digits(r, 4)}`,
    phones: [(r) => `+34 6${digits(r, 2)} ${pairs(r, 3)}`],
  },
  {
    code: 'JP',
    weight: 5,
    tld: 'jp',
    suffixes: ['KK', 'Co., Ltd.'],
    cities: ['東京都', '大阪市', 'Kyoto', 'Sapporo'],
    states: ['Tokyo', 'Osaka', 'Kyoto', 'Hokkaido'],
    street: (r) => `${1 + r.int(9)}-${1 + r.int(20)}-${1 + r.int(30)} Shibuya`,
    postalCode: (r) => `${digits(r, 3)}-${digits(r, 4)}`,
    phones: [(r) => `03-${digits(r, 4)}-${digits(r, 4)}`, (r) => `+81 3-${digits(r, 4)}-${digits(r, 4)}`],
  },
  {
    code: 'IT',
    weight: 5,
    tld: 'it',
    suffixes: ['S.r.l.', 'S.p.A.'],
    cities: ['Roma', 'Milano', 'Forlì'],
    states: null,
    street: (r) => `Via ${r.pick(['Roma', 'Garibaldi', 'Dante'])} ${1 + r.int(99)}`,
    postalCode: (r) => `00${digits(r, 3)}`,
    phones: [(r) => `+39 06 ${digits(r, 4)} ${digits(r, 4)}`],
  },
  {
    code: 'BE',
    weight: 4,
    tld: 'be',
    suffixes: ['SRL', 'NV'],
    cities: ['Bruxelles', 'Liège', 'Gent'],
    states: null,
    street: (r) => `Avenue ${r.pick(['Louise', 'de Tervueren'])} ${1 + r.int(400)}`,
    postalCode: (r) => `${1 + r.int(9)}${digits(r, 3)}`,
    phones: [(r) => `+32 2 ${digits(r, 3)} ${pairs(r, 2)}`],
  },
  {
    code: 'CH',
    weight: 4,
    tld: 'ch',
    suffixes: ['AG', 'SA', 'GmbH'],
    cities: ['Zürich', 'Genève', 'Lausanne'],
    states: null,
    street: (r) => `Bahnhofstrasse ${1 + r.int(100)}`,
    postalCode: (r) => `${1 + r.int(9)}${digits(r, 3)}`,
    phones: [(r) => `+41 44 ${digits(r, 3)} ${pairs(r, 2)}`],
  },
  {
    code: 'CA',
    weight: 4,
    tld: 'ca',
    suffixes: ['Inc.', 'Ltée'],
    cities: ['Montréal', 'Toronto', 'Québec'],
    states: ['QC', 'ON'],
    street: (r) => `${1 + r.int(3000)} rue ${r.pick(['Sainte-Catherine', 'Sherbrooke'])}`,
    postalCode: (r) => r.pick(['H2X 1Y4', 'M5V 2T6', 'G1R 4P5']),
    phones: [(r) => `+1 (514) 555-${digits(r, 4)}`],
  },
];

const COUNTRY_WEIGHT_TOTAL = COUNTRIES.reduce((sum, country) => sum + country.weight, 0);

export function pickCountry(r: Random): CountryProfile {
  let roll = r.int(COUNTRY_WEIGHT_TOTAL);
  for (const country of COUNTRIES) {
    roll -= country.weight;
    if (roll < 0) return country;
  }
  return r.pick(COUNTRIES);
}

export function roles(r: Random): string[] {
  const roll = r.next();
  if (roll < 0.08) return [];
  if (roll < 0.13) return ['decision_maker'];
  if (roll < 0.15) return ['buyer', 'technical_contact'];
  const first = r.pick(KNOWN_ROLES);
  if (roll < 0.75) return [first];
  const second = r.pick(KNOWN_ROLES);
  return second === first ? [first] : [first, second];
}

/** External ids look numeric with leading zeros: they must stay text downstream. */
export function externalIds(r: Random): [crm: string | null, erp: string | null, accounting: string | null] {
  const crmRoll = r.next();
  const crm =
    crmRoll < 0.5
      ? `${'0'.repeat(1 + r.int(3))}${digits(r, 3)}`
      : crmRoll < 0.7
        ? `CRM-${digits(r, 5)}`
        : null;
  const erp = r.chance(0.4) ? `00${digits(r, 6)}` : null;
  const accountingRoll = r.next();
  const accounting =
    accountingRoll < 0.4 ? `411${digits(r, 5)}` : accountingRoll < 0.42 ? `000${digits(r, 17)}` : null;
  return [crm, erp, accounting];
}

export function taxIds(r: Random, countryCode: string): { tax: string; tax_value: string }[] {
  const roll = r.next();
  if (roll < 0.2) return [];
  const vat = { tax: 'vat', tax_value: `${countryCode}${digits(r, 11)}` };
  return roll < 0.8 ? [vat] : [vat, { tax: 'siret', tax_value: `000${digits(r, 11)}` }];
}
