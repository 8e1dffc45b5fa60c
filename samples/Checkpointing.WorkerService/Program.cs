using Checkpointing;
using Checkpointing.WorkerService;
using Microsoft.Extensions.AI;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// appsettings.json is read from beside the program, whatever the working directory; checkpoints go under the latter.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.Configure<PipelineSettings>(builder.Configuration.GetSection("Pipeline"));

// Checkpointing: options from the "Checkpointing" section (validated at startup), the file store, a manager factory.
builder.Services.AddCheckpointing(builder.Configuration).UseFileSystem();

// The model: every call made inside a stage is paid once and written ahead (the fake model keeps the sample offline).
builder.Services.AddSingleton<FakeChatClient>();
builder.Services.AddChatClient(services => services.GetRequiredService<FakeChatClient>())
    .UseCheckpointing(options => options.EstimateCost = response => (response.Usage?.TotalTokenCount ?? 0) * 0.00001m);

// Traces and metrics of stages, LLM calls (cache hits and misses), store writes and resumes.
if (builder.Configuration.GetValue("Pipeline:ExportTelemetry", defaultValue: true))
{
    builder.Services.AddOpenTelemetry()
        .WithTracing(tracing => tracing.AddSource(CheckpointingTelemetry.ActivitySourceName).AddConsoleExporter())
        .WithMetrics(metrics => metrics.AddMeter(CheckpointingTelemetry.MeterName).AddConsoleExporter());
}

builder.Services.AddHostedService<PipelineWorker>();
await builder.Build().RunAsync();
