/* SPDX-License-Identifier: ISC */
/*
 * gen_records: deterministic demo records for one partner, as NDJSON on stdout, in the
 * shape of the ClusterPoliSEE indicator collection (the benchmark's W1 shape). Used by the
 * demo and the integration tests; the same arguments always print the same bytes.
 *
 *   gen_records PARTNER COUNT [SEED]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const areas[] = { "innovation", "rd", "sustainability",
                                      "international_cooperation", "financing",
                                      "regional_specialisation", "jobs_skills" };
static const char *const indicators[] = { "patent_applications", "rd_personnel",
                                          "circular_economy_projects",
                                          "eu_project_participations", "venture_capital_deals",
                                          "smart_specialisation_domains", "open_vacancies" };

/* splitmix64: small, seedable, the same everywhere */
static uint64_t
next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int
main(int argc, char **argv)
{
    const char *partner;
    uint64_t n, i, seed = 20250601;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: gen_records PARTNER COUNT [SEED]\n");
        return 2;
    }
    partner = argv[1];
    n = strtoull(argv[2], NULL, 10);
    if (argc == 4)
        seed = strtoull(argv[3], NULL, 10);
    for (i = 0; i < (size_t)strlen(partner); i++)
        seed = seed * 31 + (unsigned char)partner[i];
    for (i = 0; i < n; i++) {
        unsigned area = (unsigned)(i % 7), cluster = (unsigned)(i / 336 + 1);
        unsigned period = (unsigned)((i / 7) % 48), year = 2013 + period / 4, q = period % 4 + 1;
        uint64_t r = next_rand(&seed);

        printf("{\"coll\":\"indicator\",\"key\":\"%s/%s-C%03u/%s/%u-Q%u\",\"value\":{"
               "\"partner\":\"%s\",\"cluster_id\":\"%s-C%03u\",\"area\":\"%s\","
               "\"period\":\"%u-Q%u\",\"indicator\":\"%s\",\"value\":%" PRIu64 ".%02u,"
               "\"unit\":\"count\",\"source\":\"demo-generator/%u\","
               "\"updated_at\":\"2024-01-01T00:00:00Z\",\"note\":\"demo data, not real\"}}\n",
               partner, partner, cluster, areas[area], year, q, partner, partner, cluster,
               areas[area], year, q, indicators[area], r % 5000, (unsigned)(r >> 32) % 100,
               (unsigned)seed % 10000);
    }
    return 0;
}
