using System.Data.Common;
using DataTrust.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DataTrust.Tests.Infrastructure;

/// <summary>
/// Reads a database's schema from its catalog as sorted, comparable lines: columns with type and
/// nullability, keys, indexes with uniqueness and columns, foreign keys with their delete rule.
/// EF Core's own bookkeeping tables are left out.
/// </summary>
public static class SchemaReader
{
    public static IReadOnlyList<string> Read(StorageProvider provider, string connectionString) => provider switch
    {
        StorageProvider.Sqlite => ReadSqlite(connectionString),
        StorageProvider.Postgres => ReadPostgres(connectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    private static List<string> ReadSqlite(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        var lines = new List<string>();
        var tables = Query(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EF%'")
            .Select(r => (string)r[0]!).ToList();
        foreach (var table in tables)
        {
            lines.AddRange(Query(connection, $"SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')")
                .Select(r => $"column {table}.{r[0]} {r[1]} notnull={r[2]} pk={r[3]}"));
            foreach (var index in Query(connection, $"SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"))
            {
                var columns = Query(connection, $"SELECT name FROM pragma_index_info('{index[0]}') ORDER BY seqno").Select(r => r[0]);
                lines.Add($"index {table}.{index[0]} unique={index[1]} origin={index[2]} ({string.Join(",", columns)})");
            }

            lines.AddRange(Query(connection, $"SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{table}')")
                .Select(r => $"fk {table}.{r[1]} -> {r[0]}.{r[2]} on delete {r[3]}"));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static List<string> ReadPostgres(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var lines = new List<string>();
        lines.AddRange(Query(connection, """
            SELECT table_name, column_name, data_type, coalesce(character_maximum_length, 0), is_nullable, is_identity, coalesce(identity_generation, '')
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\_\_EF%'
            """).Select(r => $"column {r[0]}.{r[1]} {r[2]}({r[3]}) nullable={r[4]} identity={r[5]} {r[6]}"));
        lines.AddRange(Query(connection, """
            SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '\_\_EF%'
            """).Select(r => $"index {r[0]}.{r[1]} {r[2]}"));
        lines.AddRange(Query(connection, """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE '%\_\_EF%'
            """).Select(r => $"constraint {r[0]}.{r[1]} {r[2]}"));
        lines.AddRange(Query(connection, """
            SELECT relname, array_to_string(reloptions, ',') FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL AND relname NOT LIKE '\_\_EF%'
            """).Select(r => $"storage {r[0]} {r[1]}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static List<object?[]> Query(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row);
        }

        return rows;
    }
}
