using System.Data.Common;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace DataTrust.Audit.Storage;

/// <summary>
/// Writes appended entries, completed tree nodes and the new head straight into the caller's
/// transaction, bypassing change tracking: the head row stays locked while this runs, so it must be
/// short. PostgreSQL gets the entries by binary COPY; SQLite by one prepared INSERT.
/// </summary>
internal static class AuditWriter
{
    private const string Columns = "seq, recorded_at, actor_type, actor_id, action, subject, recipient, consent, objects, details, prev_hash, leaf_hash";

    public static async Task WriteAsync(DataTrustDbContext db, List<AuditEntry> entries, List<AuditTreeNode> nodes, AuditHead head, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        if (connection is NpgsqlConnection npgsql)
        {
            await CopyAsync(npgsql, entries, cancellationToken);
        }
        else
        {
            await InsertAsync(connection, transaction, db, entries, cancellationToken);
        }

        foreach (var node in nodes)
        {
            await ExecuteAsync(connection, transaction, "INSERT INTO audit_tree_nodes (level, position, hash) VALUES (@level, @position, @hash)", cancellationToken,
                ("level", node.Level), ("position", node.Position), ("hash", node.Hash));
        }

        await ExecuteAsync(connection, transaction, "UPDATE audit_head SET size = @size, last_hash = @last_hash, frontier = @frontier WHERE id = @id", cancellationToken,
            ("size", head.Size), ("last_hash", head.LastHash), ("frontier", head.Frontier), ("id", head.Id));
    }

    private static async Task CopyAsync(NpgsqlConnection connection, List<AuditEntry> entries, CancellationToken cancellationToken)
    {
        await using var import = await connection.BeginBinaryImportAsync($"COPY audit_entries ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var entry in entries)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(entry.Seq, NpgsqlDbType.Bigint, cancellationToken);
            await import.WriteAsync(entry.RecordedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            await import.WriteAsync(entry.ActorType, NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync(entry.ActorId, NpgsqlDbType.Varchar, cancellationToken);
            await import.WriteAsync(entry.Action, NpgsqlDbType.Varchar, cancellationToken);
            await WriteNullableAsync(import, entry.Subject, cancellationToken);
            await WriteNullableAsync(import, entry.Recipient, cancellationToken);
            await WriteNullableAsync(import, entry.Consent, cancellationToken);
            await import.WriteAsync(entry.Objects, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(entry.Details, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(entry.PrevHash, NpgsqlDbType.Bytea, cancellationToken);
            await import.WriteAsync(entry.LeafHash, NpgsqlDbType.Bytea, cancellationToken);
        }

        await import.CompleteAsync(cancellationToken);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter import, string? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await import.WriteNullAsync(cancellationToken);
        }
        else
        {
            await import.WriteAsync(value, NpgsqlDbType.Varchar, cancellationToken);
        }
    }

    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, DataTrustDbContext db, List<AuditEntry> entries, CancellationToken cancellationToken)
    {
        // Time goes in as the model stores it on this provider (UTC text on SQLite).
        var time = db.Model.FindEntityType(typeof(AuditEntry))!.FindProperty(nameof(AuditEntry.RecordedAt))!.GetTypeMapping().Converter;
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO audit_entries ({Columns}) VALUES (@seq, @recorded_at, @actor_type, @actor_id, @action, @subject, @recipient, @consent, @objects, @details, @prev_hash, @leaf_hash)";
        var names = Columns.Split(", ");
        var parameters = names.Select(name =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        foreach (var entry in entries)
        {
            object?[] values =
            [
                entry.Seq, time is null ? entry.RecordedAt : time.ConvertToProvider(entry.RecordedAt), entry.ActorType, entry.ActorId, entry.Action,
                entry.Subject, entry.Recipient, entry.Consent, entry.Objects, entry.Details, entry.PrevHash, entry.LeafHash,
            ];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] values)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in values)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
