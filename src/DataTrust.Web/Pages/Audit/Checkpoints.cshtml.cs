using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Web.Pages.Audit;

/// <summary><c>/audit/checkpoints</c>: the newest signed checkpoints. Reading signed tree heads is not recorded (as in the API): they hold no personal data.</summary>
internal sealed class CheckpointsModel(IDbContextFactory<DataTrustDbContext> contexts) : AuditPageModel
{
    public const int Shown = 100;

    public IReadOnlyList<AuditCheckpoint> Checkpoints { get; private set; } = [];

    public long LogSize { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Checkpoints = await db.Set<AuditCheckpoint>().AsNoTracking().OrderByDescending(c => c.TreeSize).ThenByDescending(c => c.Id).Take(Shown).ToListAsync(cancellationToken);
        LogSize = await db.Set<AuditHead>().AsNoTracking().Select(h => h.Size).SingleAsync(cancellationToken);
    }
}
