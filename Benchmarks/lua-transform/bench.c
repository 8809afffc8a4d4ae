// The cost of a per-record Lua transform in a host like Ferry's: each record, already
// parsed (a cJSON tree here, a JSONObject in Ferry), is turned into a Lua table, passed
// to a Lua function, and the returned table turned back into a tree. The same records and
// the same 10 steps as `ferry-bench transform`, so the two figures compare. Also run with
// an identity function: the conversion cost alone, the floor any Lua transform pays.
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static cJSON *record(int index) {
    int named = index % 50 != 0;
    char text[96];
    cJSON *r = cJSON_CreateObject();
    snprintf(text, sizeof text, "cli_%d", index);
    cJSON_AddStringToObject(r, "id", text);
    if (index % 3 == 0) snprintf(text, sizeof text, "  Acme %d ", index); else text[0] = 0;
    cJSON_AddStringToObject(r, "companyName", text);
    cJSON *contact = cJSON_AddObjectToObject(r, "contact");
    if (named) snprintf(text, sizeof text, " Ann%d ", index % 97); else text[0] = 0;
    cJSON_AddStringToObject(contact, "firstName", text);
    cJSON_AddStringToObject(contact, "lastName", named ? "Lee" : "");
    snprintf(text, sizeof text, "2025-03-%dT%d:30:00Z", 10 + index % 18, 10 + index % 12);
    cJSON_AddStringToObject(r, "start", text);
    cJSON *nodes = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "pianos"), "nodes");
    cJSON *node = cJSON_CreateObject();
    snprintf(text, sizeof text, "pno_%d", index);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(node, "piano"), "id", text);
    cJSON_AddItemToArray(nodes, node);
    cJSON *jobs = cJSON_AddArrayToObject(r, "jobs");
    for (int job = 0; job < index % 4; job++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "id", index * 10 + job);
        cJSON_AddNumberToObject(j, "total", 1000 + index % 997 * 13 + job);
        cJSON *labor = cJSON_CreateObject();
        cJSON_AddNumberToObject(labor, "hours", 0.25 * (job + 1));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "labor"), labor);
        cJSON_AddItemToArray(jobs, j);
    }
    if (index % 7 == 0) cJSON_AddStringToObject(r, "margin", "NaN");
    else cJSON_AddNumberToObject(r, "margin", (index % 1000) / 1000.0);
    cJSON_AddNumberToObject(r, "hourlyRate", 3550);
    const char *statuses[] = {"A", "I", "X"};
    cJSON_AddStringToObject(r, "status", statuses[index % 3]);
    snprintf(text, sizeof text, "+358 (40) %d-%d", index % 1000, index % 77);
    cJSON_AddStringToObject(r, "phone", text);
    return r;
}

static void push(lua_State *L, const cJSON *item) {
    if (cJSON_IsObject(item)) {
        lua_createtable(L, 0, cJSON_GetArraySize(item));
        for (const cJSON *c = item->child; c; c = c->next) { push(L, c); lua_setfield(L, -2, c->string); }
    } else if (cJSON_IsArray(item)) {
        lua_createtable(L, cJSON_GetArraySize(item), 0);
        int i = 1;
        for (const cJSON *c = item->child; c; c = c->next) { push(L, c); lua_rawseti(L, -2, i++); }
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        if (item->valuedouble == (double)(long long)item->valuedouble) lua_pushinteger(L, (long long)item->valuedouble);
        else lua_pushnumber(L, item->valuedouble);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else {
        lua_pushnil(L);
    }
}

static cJSON *pull(lua_State *L, int index) {
    switch (lua_type(L, index)) {
    case LUA_TSTRING: return cJSON_CreateString(lua_tostring(L, index));
    case LUA_TNUMBER: return cJSON_CreateNumber(lua_tonumber(L, index));
    case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, index));
    case LUA_TTABLE: {
        index = lua_absindex(L, index);
        lua_Integer length = (lua_Integer)lua_rawlen(L, index);
        if (length > 0) {
            cJSON *array = cJSON_CreateArray();
            for (lua_Integer i = 1; i <= length; i++) {
                lua_rawgeti(L, index, i);
                cJSON_AddItemToArray(array, pull(L, -1));
                lua_pop(L, 1);
            }
            return array;
        }
        cJSON *object = cJSON_CreateObject();
        lua_pushnil(L);
        while (lua_next(L, index)) {
            if (lua_type(L, -2) == LUA_TSTRING) cJSON_AddItemToObject(object, lua_tostring(L, -2), pull(L, -1));
            lua_pop(L, 1);
        }
        return object;
    }
    default: return cJSON_CreateNull();
    }
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static double wall_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    long records = argc > 2 ? atol(argv[2]) : 1000000;
    const int distinct = 10000;
    cJSON **pool = malloc(sizeof *pool * distinct);
    for (int i = 0; i < distinct; i++) pool[i] = record(i);
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (luaL_dofile(L, argc > 1 ? argv[1] : "transform.lua")) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 1;
    }
    printf("lua transform: %ld records (%d distinct, in memory), one thread, %s\n", records, distinct, LUA_RELEASE);
    const char *functions[] = {"transform", "identity"};
    const char *names[] = {"10 steps as a Lua function", "identity (tree -> table -> tree only)"};
    for (int f = 0; f < 2; f++) {
        long kept = 0;
        double wall = wall_seconds(), cpu = cpu_seconds();
        for (long i = 0; i < records; i++) {
            lua_getglobal(L, functions[f]);
            push(L, pool[i % distinct]);
            if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
                fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
                return 1;
            }
            if (!lua_isnil(L, -2)) {
                cJSON *out = pull(L, -2);
                kept++;
                cJSON_Delete(out);
            }
            lua_pop(L, 2);
        }
        wall = wall_seconds() - wall;
        cpu = cpu_seconds() - cpu;
        printf("  %s: %.0fk records/s, %.0fk per CPU-second, %.0f ns/record (%ld kept)\n", names[f],
               records / wall / 1000, records / cpu / 1000, cpu / records * 1e9, kept);
    }
    lua_close(L);
    return 0;
}
