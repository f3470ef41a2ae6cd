#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsJitSchedulerJob, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsJitSchedulerJob' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the GetByType (default) and GetById parameter sets' {
        $command = Get-Command -Name Get-AmsJitSchedulerJob -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'GetByType'
        ($command.ParameterSets.Name | Sort-Object) -join ',' | Should -BeExactly 'GetById,GetByType'
        (Get-AmsParameterSet Get-AmsJitSchedulerJob Id GetById).Position | Should -Be 0
    }

    It 'lists only failed jobs with -FailedOnly' {
        $null = Get-AmsJitSchedulerJob -FailedOnly
        (Get-AmsStubCall).Line | Should -BeExactly 'jit-scheduler-job get --failed-only'
    }

    It 'gets one job by id' {
        $null = Get-AmsJitSchedulerJob 'j-1'
        (Get-AmsStubCall).Line | Should -BeExactly 'jit-scheduler-job get --id j-1'
    }
}
