using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Checkpointing;

/// <summary>Makes the loggers of the library's types.</summary>
internal static class LoggerFactories
{
    /// <summary>
    /// Returns the logger of <typeparamref name="T"/> from <paramref name="factory"/>, or the no-op logger when there is
    /// none. The no-op case builds no <c>Logger&lt;T&gt;</c> (a category name made by reflection, and framework code that a
    /// fresh process JIT-compiles): a worker without logging resumes with less start-up work.
    /// </summary>
    public static ILogger Create<T>(ILoggerFactory? factory) => factory is null ? NullLogger.Instance : factory.CreateLogger<T>();
}
