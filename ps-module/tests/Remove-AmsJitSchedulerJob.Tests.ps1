#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsJitSchedulerJob, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsJitSchedulerJob' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has no -Force, like upstream, and is a High impact removal' {
        (Get-Command -Name Remove-AmsJitSchedulerJob).Parameters.ContainsKey('Force') | Should -BeFalse
        Get-AmsConfirmImpact Remove-AmsJitSchedulerJob | Should -BeExactly 'High'
    }

    It 'removes a job by id' {
        Remove-AmsJitSchedulerJob -Id 'j-1' -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'jit-scheduler-job remove --id j-1'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsJitSchedulerJob -Id 'j-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
