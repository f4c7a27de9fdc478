using System.Data.Common;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace DataTrust.Audit.Storage;

/// <summary>
/// Writes appended entries, completed tree nodes and the new head straight into the caller's
/// transaction, bypassing change tracking: the head row stays locked while this runs, so it must be
/// short. PostgreSQL gets all three as one batch in one round trip (entries and nodes as arrays), or
/// with the commit where the transaction has a <see cref="CommitTail"/>; SQLite gets one prepared
/// INSERT per entry.
/// </summary>
internal static class AuditWriter
{
    private const string Columns = "seq, recorded_at, actor_type, actor_id, action, subject, recipient, consent, objects, details, prev_hash, leaf_hash";
    private const string UpdateHead = "UPDATE audit_head SET size = @size, last_hash = @last_hash, frontier = @frontier WHERE id = @id";

    public static async Task WriteAsync(DataTrustDbContext db, List<AuditEntry> entries, List<AuditTreeNode> nodes, AuditHead head, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        if (connection is NpgsqlConnection npgsql)
        {
            await WriteBatchAsync(db, npgsql, (NpgsqlTransaction)transaction, entries, nodes, head, cancellationToken);
            return;
        }

        await InsertAsync(connection, transaction, db, entries, cancellationToken);
        foreach (var node in nodes)
        {
            await ExecuteAsync(connection, transaction, "INSERT INTO audit_tree_nodes (level, position, hash) VALUES (@level, @position, @hash)", cancellationToken,
                ("level", node.Level), ("position", node.Position), ("hash", node.Hash));
        }

        await ExecuteAsync(connection, transaction, UpdateHead, cancellationToken,
            ("size", head.Size), ("last_hash", head.LastHash), ("frontier", head.Frontier), ("id", head.Id));
    }

    private static async Task WriteBatchAsync(
        DataTrustDbContext db, NpgsqlConnection connection, NpgsqlTransaction transaction, List<AuditEntry> entries, List<AuditTreeNode> nodes, AuditHead head,
        CancellationToken cancellationToken)
    {
        List<NpgsqlBatchCommand> statements =
        [
            Command(
                $"INSERT INTO audit_entries ({Columns}) SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], " +
                "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])",
                entries.ConvertAll(e => e.Seq), entries.ConvertAll(e => e.RecordedAt), entries.ConvertAll(e => e.ActorType), entries.ConvertAll(e => e.ActorId),
                entries.ConvertAll(e => e.Action), entries.ConvertAll(e => e.Subject), entries.ConvertAll(e => e.Recipient), entries.ConvertAll(e => e.Consent),
                entries.ConvertAll(e => e.Objects), entries.ConvertAll(e => e.Details), entries.ConvertAll(e => e.PrevHash), entries.ConvertAll(e => e.LeafHash)),
        ];
        if (nodes.Count > 0)
        {
            statements.Add(Command(
                "INSERT INTO audit_tree_nodes (level, position, hash) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bytea[])",
                nodes.ConvertAll(n => n.Level), nodes.ConvertAll(n => n.Position), nodes.ConvertAll(n => n.Hash)));
        }

        statements.Add(Command("UPDATE audit_head SET size = $1, last_hash = $2, frontier = $3 WHERE id = $4", head.Size, head.LastHash, head.Frontier, head.Id));
        if (CommitTail.TryAppend(db, [.. statements]))
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        statements.ForEach(batch.BatchCommands.Add);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
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
