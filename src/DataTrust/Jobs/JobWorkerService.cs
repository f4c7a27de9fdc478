using DataTrust.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataTrust.Jobs;

/// <summary>
/// Hosts the <see cref="JobWorker"/> on instances whose <c>DataTrust:Roles</c> include <c>worker</c>.
/// Stopping: no new claims at once; running handlers may finish until the host's shutdown timeout
/// (<see cref="HostOptions.ShutdownTimeout"/>); what still runs then is cancelled and released to the queue.
/// Every call to <see cref="StopAsync"/> (the host may stop twice, e.g. a test host and its entry point)
/// waits for the same, single stop.
/// </summary>
internal sealed class JobWorkerService(JobWorker worker, IOptions<DataTrustOptions> dataTrust) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly Lock _gate = new();
    private Task? _claiming;
    private Task? _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (dataTrust.Value.RunsWorker)
        {
            _claiming = Task.Run(() => worker.RunAsync(_stopClaiming.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _stopping ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken shutdownTimeout)
    {
        if (Interlocked.Exchange(ref _claiming, null) is not { } claiming)
        {
            return;
        }

        await _stopClaiming.CancelAsync();
        await claiming;
        await worker.DrainAsync(shutdownTimeout);
    }

    public void Dispose()
    {
        // A host disposed without being stopped: at least stop claiming. Running jobs' leases expire.
        if (Interlocked.Exchange(ref _claiming, null) is not null)
        {
            _stopClaiming.Cancel();
        }

        _stopClaiming.Dispose();
    }
}
