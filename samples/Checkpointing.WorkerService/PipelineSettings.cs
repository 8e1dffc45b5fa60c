namespace Checkpointing.WorkerService;

/// <summary>The <c>Pipeline</c> section of appsettings.json.</summary>
public sealed class PipelineSettings
{
    /// <summary>Gets or sets the cards this worker claims, in order.</summary>
    public List<string> Cards { get; set; } = [];

    /// <summary>Gets or sets how long the fake model takes per answer (long enough to press Ctrl+C mid-stage).</summary>
    public TimeSpan ModelLatency { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets whether traces and metrics go to the console exporter.</summary>
    public bool ExportTelemetry { get; set; } = true;
}
