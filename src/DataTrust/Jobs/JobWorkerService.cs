using DataTrust.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataTrust.Jobs;

/// <summary>
/// Hosts the <see cref="JobWorker"/> on instances whose <c>DataTrust:Roles</c> include <c>worker</c>.
/// Stopping: no new claims at once; running handlers may finish until the host's shutdown timeout
/// (<see cref="HostOptions.ShutdownTimeout"/>); what still runs then is cancelled and released to the queue.
/// </summary>
internal sealed class JobWorkerService(JobWorker worker, IOptions<DataTrustOptions> dataTrust) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopClaiming = new();
    private Task? _claiming;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (dataTrust.Value.RunsWorker)
        {
            _claiming = Task.Run(() => worker.RunAsync(_stopClaiming.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_claiming is null)
        {
            return;
        }

        await _stopClaiming.CancelAsync();
        await _claiming;
        await worker.DrainAsync(cancellationToken);
    }

    public void Dispose() => _stopClaiming.Dispose();
}
